"""The PS3.8 Upper Layer state machine (fastdimse.fsm), driven without sockets or sleeps:
two machines (requestor and acceptor) wired back to back through the real core (PDUs
encoded, then decoded by a core Receiver) in simulated time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from fastdimse._core import (
    Abort,
    AssociateRj,
    Message,
    Receiver,
    ReleaseRp,
    ReleaseRq,
    encode_pdu,
)
from fastdimse.fsm import (
    Action,
    Close,
    Connect,
    Effect,
    Event,
    Indicate,
    Indication,
    InvalidEventError,
    Send,
    State,
    StateMachine,
    Transition,
    classify_pdu,
)
from state_table_support import (
    ARTIM,
    ECHO_RQ,
    PDATA,
    make_ac,
    make_rq,
)

# 3. Two machines back to back in simulated time


@dataclass
class Endpoint:
    name: str
    fsm: StateMachine
    receiver: Receiver = field(default_factory=Receiver)
    indications: list[Indicate] = field(default_factory=list)
    closed: bool = False  # this end closed its transport
    deaf: bool = False  # drops everything it receives (a hung peer)

    def kinds(self) -> list[Indication]:
        return [i.kind for i in self.indications]


class Network:
    """A requestor and an acceptor joined by one simulated TCP connection.

    Effects are executed as an I/O layer would: Send encodes the PDU and puts
    the bytes on the wire; the receiving end decodes them with a core
    Receiver and feeds the events to its machine; Close sends an end of
    stream after the bytes already in flight, and the peer that has not
    closed its own end then sees Evt17.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.a = Endpoint("requestor", StateMachine(requestor=True, artim_timeout=ARTIM))
        self.b = Endpoint("acceptor", StateMachine(requestor=False, artim_timeout=ARTIM))
        self.wire: deque[tuple[Endpoint, str, bytes]] = deque()
        self.connected = False

    def peer(self, end: Endpoint) -> Endpoint:
        return self.b if end is self.a else self.a

    def do(self, end: Endpoint, event: Event, pdu: object | None = None) -> None:
        self.run(end, end.fsm.handle(event, self.now, pdu))

    def run(self, end: Endpoint, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Connect):
                self.wire.append((self.b, "connect", b""))
            elif isinstance(effect, Send):
                pdu = effect.pdu
                data = pdu if isinstance(pdu, bytes) else encode_pdu(pdu)  # type: ignore[arg-type]
                self.wire.append((self.peer(end), "data", data))
            elif isinstance(effect, Close):
                end.closed = True
                if self.connected:
                    self.wire.append((self.peer(end), "eof", b""))
            else:
                end.indications.append(effect)

    def step(self) -> None:
        dst, kind, data = self.wire.popleft()
        if kind == "connect":
            if self.a.closed:  # the requestor gave up before the connection completed
                return
            self.connected = True
            self.run(self.b, self.b.fsm.handle(Event.EVT5, self.now))
            self.run(self.a, self.a.fsm.handle(Event.EVT2, self.now))
            return
        if dst.closed or dst.deaf:
            return
        if kind == "eof":
            self.run(dst, dst.fsm.handle(Event.EVT17, self.now))
            return
        for item in dst.receiver.feed(data):
            self.run(dst, dst.fsm.handle(classify_pdu(item), self.now, item))

    def pump(self) -> None:
        while self.wire:
            self.step()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for end in (self.a, self.b):
            self.run(end, end.fsm.handle_timeout(self.now))
        self.pump()

    def states(self) -> tuple[State, State]:
        return self.a.fsm.state, self.b.fsm.state


def associated() -> Network:
    net = Network()
    net.do(net.a, Event.EVT1, make_rq())
    net.pump()
    assert net.states() == (State.STA5, State.STA3)
    assert net.b.kinds() == [Indication.TRANSPORT_CONNECTED, Indication.ASSOCIATE_RQ]
    assert net.b.indications[-1].pdu == make_rq()
    net.do(net.b, Event.EVT7, make_ac())
    net.pump()
    assert net.states() == (State.STA6, State.STA6)
    assert net.a.kinds() == [Indication.TRANSPORT_CONNECTED, Indication.ASSOCIATE_AC]
    return net


def is_echo_message(indication: Indicate) -> bool:
    # Message compares by identity: check what was decoded
    pdu = indication.pdu
    return (
        indication.kind is Indication.P_DATA
        and isinstance(pdu, Message)
        and pdu.context_id == 1
        and pdu.command == ECHO_RQ
        and pdu.data_set is None
    )


def both_idle_and_closed(net: Network) -> None:
    assert net.states() == (State.STA1, State.STA1)
    assert net.a.closed
    assert net.b.closed
    assert net.a.fsm.artim_deadline is None
    assert net.b.fsm.artim_deadline is None
    assert not net.wire


def test_association_data_and_release_by_requestor() -> None:
    net = associated()
    net.do(net.a, Event.EVT9, PDATA)
    net.do(net.b, Event.EVT9, PDATA)
    net.pump()
    assert is_echo_message(net.a.indications[-1])
    assert is_echo_message(net.b.indications[-1])

    net.do(net.a, Event.EVT11, ReleaseRq())
    net.pump()
    assert net.states() == (State.STA7, State.STA8)
    assert net.b.kinds()[-1] is Indication.RELEASE_RQ
    # The acceptor may still send P-DATA before answering (AR-7), the requestor gets it (AR-6)
    net.do(net.b, Event.EVT9, PDATA)
    net.pump()
    assert net.states() == (State.STA7, State.STA8)
    assert is_echo_message(net.a.indications[-1])

    net.do(net.b, Event.EVT14, ReleaseRp())
    net.pump()
    assert net.a.kinds()[-1] is Indication.RELEASE_RP
    both_idle_and_closed(net)
    # The acceptor's ARTIM never expired: the requestor closed first (AR-3, then AR-5).
    assert net.b.fsm.last_transition == Transition(State.STA13, Event.EVT17, Action.AR5, State.STA1)


def test_release_by_acceptor() -> None:
    net = associated()
    net.do(net.b, Event.EVT11)
    net.pump()
    assert net.states() == (State.STA8, State.STA7)
    net.do(net.a, Event.EVT14)
    net.pump()
    assert net.b.kinds()[-1] is Indication.RELEASE_RP
    both_idle_and_closed(net)


def test_association_rejected_by_user() -> None:
    net = Network()
    net.do(net.a, Event.EVT1, make_rq())
    net.pump()
    rj = AssociateRj(1, 1, 3)
    net.do(net.b, Event.EVT8, rj)  # AE-8
    assert net.b.fsm.state is State.STA13
    net.pump()
    assert net.a.indications[-1] == Indicate(Indication.ASSOCIATE_RJ, rj)  # AE-4
    both_idle_and_closed(net)


def test_association_rejected_by_provider() -> None:
    net = Network()
    net.do(net.a, Event.EVT1, make_rq())
    net.step()  # connected; the A-ASSOCIATE-RQ is on the wire
    # The acceptor's I/O layer decodes it and its service-provider rejects it (AE-6)
    _, _, data = net.wire.popleft()
    (item,) = net.b.receiver.feed(data)
    rj = AssociateRj(2, 2, 2)
    net.run(net.b, net.b.fsm.handle(classify_pdu(item), net.now, item, reject=rj))
    assert net.b.fsm.state is State.STA13
    assert net.b.kinds() == [Indication.TRANSPORT_CONNECTED]  # no A-ASSOCIATE indication
    net.pump()
    assert net.a.indications[-1] == Indicate(Indication.ASSOCIATE_RJ, rj)
    both_idle_and_closed(net)


@pytest.mark.parametrize("first", ["requestor", "acceptor"])
def test_release_collision(first: str) -> None:
    net = associated()
    # Both ask to release before either request arrives.
    net.do(net.a, Event.EVT11)
    net.do(net.b, Event.EVT11)
    assert net.states() == (State.STA7, State.STA7)
    if first == "acceptor":
        net.wire.rotate(1)
    net.pump()
    assert net.states() == (State.STA9, State.STA10)  # AR-8 in both roles
    assert net.a.fsm.collision
    assert net.b.fsm.collision
    assert net.a.kinds()[-1] is Indication.RELEASE_RQ
    assert net.b.kinds()[-1] is Indication.RELEASE_RQ

    net.do(net.a, Event.EVT14)  # AR-9
    assert net.states() == (State.STA11, State.STA10)
    net.pump()  # the acceptor gets the RP: AR-10
    assert net.states() == (State.STA11, State.STA12)
    assert net.b.kinds()[-1] is Indication.RELEASE_RP
    net.do(net.b, Event.EVT14)  # AR-4
    assert net.b.fsm.state is State.STA13
    net.pump()  # the requestor gets the RP: AR-3 closes; the acceptor: AR-5
    assert net.a.kinds()[-1] is Indication.RELEASE_RP
    both_idle_and_closed(net)


# Configurations (requestor state, acceptor state) in which a side may abort,
# each built by legal steps; a pending PDU may still be on the wire.


def cfg_sta5_sta2() -> Network:
    net = Network()
    net.do(net.a, Event.EVT1, make_rq())
    net.step()  # connected; the RQ is on the wire
    assert net.states() == (State.STA5, State.STA2)
    return net


def cfg_sta5_sta3() -> Network:
    net = Network()
    net.do(net.a, Event.EVT1, make_rq())
    net.pump()
    return net


def cfg_sta6_sta6() -> Network:
    return associated()


def cfg_sta7_sta8() -> Network:
    net = associated()
    net.do(net.a, Event.EVT11)
    net.pump()
    return net


def cfg_sta8_sta7() -> Network:
    net = associated()
    net.do(net.b, Event.EVT11)
    net.pump()
    return net


def cfg_sta9_sta10() -> Network:
    net = associated()
    net.do(net.a, Event.EVT11)
    net.do(net.b, Event.EVT11)
    net.pump()
    return net


def cfg_sta11_sta10() -> Network:
    net = cfg_sta9_sta10()
    net.do(net.a, Event.EVT14)  # the RP is still on the wire
    return net


def cfg_sta11_sta12() -> Network:
    net = cfg_sta11_sta10()
    net.pump()
    return net


CONFIGS: dict[str, tuple[Callable[[], Network], tuple[State, State]]] = {
    "sta5-sta2": (cfg_sta5_sta2, (State.STA5, State.STA2)),
    "sta5-sta3": (cfg_sta5_sta3, (State.STA5, State.STA3)),
    "sta6-sta6": (cfg_sta6_sta6, (State.STA6, State.STA6)),
    "sta7-sta8": (cfg_sta7_sta8, (State.STA7, State.STA8)),
    "sta8-sta7": (cfg_sta8_sta7, (State.STA8, State.STA7)),
    "sta9-sta10": (cfg_sta9_sta10, (State.STA9, State.STA10)),
    "sta11-sta10": (cfg_sta11_sta10, (State.STA11, State.STA10)),
    "sta11-sta12": (cfg_sta11_sta12, (State.STA11, State.STA12)),
}


@pytest.mark.parametrize("aborter", ["requestor", "acceptor"])
@pytest.mark.parametrize("config", list(CONFIGS))
def test_abort_from_either_side(config: str, aborter: str) -> None:
    build, states = CONFIGS[config]
    net = build()
    assert net.states() == states
    end = net.a if aborter == "requestor" else net.b
    other = net.peer(end)
    if end.fsm.state is State.STA2:
        # No user yet on this side: A-ABORT request is a blank cell in Sta2
        with pytest.raises(InvalidEventError):
            net.do(end, Event.EVT15, Abort(0, 0))
        return
    net.do(end, Event.EVT15, Abort(0, 0))  # AA-1
    assert end.fsm.state is State.STA13
    assert end.fsm.artim_deadline == net.now + ARTIM
    net.pump()
    both_idle_and_closed(net)
    # The peer got A-ABORT (AA-3). (From Sta2 too: the A-ASSOCIATE-RQ in flight
    # arrives first, so the acceptor is in Sta3 when the A-ABORT comes.)
    assert other.indications[-1] == Indicate(Indication.ABORT, Abort(0, 0))
    assert end.kinds().count(Indication.ABORT) == 0
    assert end.fsm.last_transition == Transition(State.STA13, Event.EVT17, Action.AR5, State.STA1)


def test_abort_while_connecting() -> None:
    net = Network()
    net.do(net.a, Event.EVT1, make_rq())
    assert net.a.fsm.state is State.STA4
    net.do(net.a, Event.EVT15, Abort(0, 0))  # AA-2
    assert net.a.fsm.state is State.STA1
    assert net.a.closed
    net.pump()
    assert net.b.fsm.state is State.STA1  # the connection never reached the acceptor


def test_artim_expiry_in_sta2() -> None:
    net = Network()
    net.a.deaf = True
    net.run(net.b, net.b.fsm.handle(Event.EVT5, net.now))  # a peer that connects, sends nothing
    assert net.b.fsm.state is State.STA2
    net.advance(ARTIM - 1)
    assert net.b.fsm.state is State.STA2
    net.advance(1)
    assert net.b.fsm.state is State.STA1
    assert net.b.closed
    assert net.b.fsm.last_transition == Transition(State.STA2, Event.EVT18, Action.AA2, State.STA1)


@pytest.mark.parametrize("how", ["release", "reject", "abort"])
def test_artim_expiry_in_sta13_when_the_peer_never_closes(how: str) -> None:
    if how == "reject":
        net = cfg_sta5_sta3()
        net.a.deaf = True
        net.do(net.b, Event.EVT8, AssociateRj(1, 1, 1))  # AE-8
    else:
        net = cfg_sta7_sta8() if how == "release" else associated()
        net.a.deaf = True
        if how == "release":
            net.do(net.b, Event.EVT14)  # AR-4
        else:
            net.do(net.b, Event.EVT15, Abort(0, 0))  # AA-1
    net.pump()
    assert net.b.fsm.state is State.STA13
    net.advance(ARTIM / 2)
    assert net.b.fsm.state is State.STA13
    net.advance(ARTIM / 2)
    assert net.b.fsm.state is State.STA1  # AA-2
    assert net.b.closed


def test_peer_sending_garbage_in_sta6_gets_provider_abort() -> None:
    net = associated()
    # The requestor's machine answers an invalid PDU with what the core proposes.
    net.run(net.a, net.a.fsm.handle(Event.EVT19, net.now, Abort(2, 1)))  # AA-8
    assert net.a.indications[-1] == Indicate(Indication.P_ABORT, Abort(2, 1))
    assert net.a.fsm.state is State.STA13
    net.pump()
    assert net.b.indications[-1] == Indicate(Indication.P_ABORT, Abort(2, 1))  # AA-3
    both_idle_and_closed(net)


def test_unexpected_associate_rq_after_association() -> None:
    net = associated()
    net.run(net.b, [Send(make_rq())])  # a misbehaving acceptor sends an A-ASSOCIATE-RQ
    net.pump()
    # The requestor: AA-8 (unexpected PDU), the acceptor: AA-3 (provider abort)
    assert net.a.indications[-1] == Indicate(Indication.P_ABORT, Abort(2, 2))
    assert net.b.indications[-1] == Indicate(Indication.P_ABORT, Abort(2, 2))
    both_idle_and_closed(net)
