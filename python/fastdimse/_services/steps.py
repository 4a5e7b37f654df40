"""What a service asks its driver to do: the steps a ``serve`` generator yields.

A service class never blocks nor awaits: it yields a step, and the driver
performs it and sends back the outcome (or throws in its exception). The
threaded driver performs each step in the worker's thread (``perform_step``);
``fastdimse.aio`` awaits ``async def`` handlers, async generators and the
asyncio association's sends on its loop, and runs plain user code on worker
threads. So one service class serves both drivers.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from fastdimse.events import InterventionEvent, trigger

__all__ = [
    "EXHAUSTED",
    "Associate",
    "AwaitStore",
    "HandlerCall",
    "NextResult",
    "Release",
    "SubmitStore",
    "perform_step",
    "results_of",
]


class HandlerCall(NamedTuple):
    """Call the handler bound to ``event``; the outcome is its return value."""

    event: InterventionEvent
    attrs: dict[str, Any]


class NextResult(NamedTuple):
    """Take the next item of a handler's results (a generator, an iterable, or under
    asyncio an async generator); the outcome is the item or ``EXHAUSTED``."""

    results: Any


class SubmitStore(NamedTuple):
    """Send a C-STORE sub-operation on the request's own association (C-GET) or the
    destination's (C-MOVE), within its window, without waiting for the response;
    the outcome is a handle for ``AwaitStore``."""

    target: Any
    dataset: Any
    message_id: int
    originator_aet: str | None = None
    originator_id: int | None = None


class AwaitStore(NamedTuple):
    """Wait for a submitted sub-operation's response; the outcome is its status Dataset
    (empty if none came)."""

    handle: Any


class Associate(NamedTuple):
    """``ae.associate(address, port, **kwargs)`` (a C-MOVE's destination); the outcome
    is the association, established or not."""

    address: str
    port: int
    kwargs: dict[str, Any]


class Release(NamedTuple):
    """``target.release()``."""

    target: Any


class _Exhausted:
    def __repr__(self) -> str:
        return "EXHAUSTED"


# The outcome of NextResult once the results have no more items.
EXHAUSTED: Any = _Exhausted()


def results_of(value: Any) -> Any:
    """A handler's return as the iterator ``NextResult`` takes: an async iterable's
    async iterator (for ``fastdimse.aio``), anything else's ``iter()``."""
    if hasattr(value, "__aiter__"):
        return value.__aiter__()
    return iter(value)


def perform_step(assoc: Any, step: Any) -> Any:
    """Perform ``step`` in this thread (the threaded driver); its outcome."""
    kind = type(step)
    if kind is HandlerCall:
        return trigger(assoc, step.event, step.attrs)
    if kind is NextResult:
        try:
            return next(step.results)
        except StopIteration:
            return EXHAUSTED
    if kind is SubmitStore:
        return step.target.submit_c_store(
            step.dataset,
            msg_id=step.message_id,
            originator_aet=step.originator_aet,
            originator_id=step.originator_id,
        )
    if kind is AwaitStore:
        return step.handle.result()
    if kind is Associate:
        return assoc.ae.associate(step.address, step.port, **step.kwargs)
    if kind is Release:
        return step.target.release()
    raise TypeError(f"not a service step: {step!r}")
