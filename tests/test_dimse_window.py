"""The window book's DIMSE timer (``_dimse.window.Invoked``) in simulated time."""

from __future__ import annotations

from fastdimse._dimse.window import Invoked


class Waiter:
    def __init__(self) -> None:
        self.got: list[tuple[object, bool]] = []
        self.ended = False

    def put(self, response: object, final: bool) -> None:
        self.got.append((response, final))

    def end(self) -> None:
        self.ended = True


def test_the_dimse_timer_runs_from_registration_and_ends_the_wait() -> None:
    book = Invoked(window=2, dimse_timeout=30.0)
    waiter = Waiter()
    assert book.register(1, waiter, 0, lambda: 100.0)
    assert book.deadline_of(1) == 130.0
    assert book.next_deadline == 130.0
    assert book.expire(129.999) == []
    assert not waiter.ended
    assert book.expire(130.0) == [1]
    assert waiter.ended
    assert book.outstanding == 0 and book.next_deadline is None


def test_a_pending_response_pushes_the_deadline_back_and_the_final_one_stops_it() -> None:
    book = Invoked(window=1, dimse_timeout=10.0)
    waiter = Waiter()
    book.register(5, waiter, 0, lambda: 0.0)
    assert book.deliver(5, "pending", False, 8.0)
    assert book.deadline_of(5) == 18.0
    assert book.expire(17.0) == []
    assert book.deliver(5, "final", True, 17.0)
    assert book.deadline_of(5) is None and book.next_deadline is None
    assert book.expire(1e9) == []
    assert waiter.got == [("pending", False), ("final", True)] and not waiter.ended


def test_no_timer_without_a_timeout_or_a_clock() -> None:
    book = Invoked(window=0, dimse_timeout=None)
    book.register(1, Waiter(), 0, lambda: 0.0)
    timed = Invoked(window=0, dimse_timeout=5.0)
    timed.register(1, Waiter(), 0)  # no clock given
    assert book.next_deadline is None and timed.next_deadline is None


def test_the_earliest_deadline_is_next() -> None:
    book = Invoked(window=0, dimse_timeout=10.0)
    book.register(1, Waiter(), 0, lambda: 5.0)
    book.register(2, Waiter(), 0, lambda: 1.0)
    assert book.next_deadline == 11.0
    assert book.expire(11.0) == [2]
    assert book.next_deadline == 15.0
