"""The PS3.8 Upper Layer state machine (fastdimse.fsm), driven without sockets or sleeps: the
table and its cells.

1. The table against an independent transcription of PS3.8 Table 9-10.
2. Every one of the 13 x 19 cells executed on a machine driven to its state by
   legal events, effects and next state checked against the action tables.
"""

from __future__ import annotations

import pytest

from fastdimse.fsm import (
    TABLE,
    Action,
    Close,
    Event,
    InvalidEventError,
    State,
    Transition,
)
from state_table_support import (
    ARTIM,
    CELLS,
    EXPECTED,
    INPUT,
    KEEPS_ARTIM,
    STARTS_ARTIM,
    drive,
    expected_outcome,
)

# 1. The table


def test_table_is_total() -> None:
    assert set(TABLE) == {(s, e) for s in State for e in Event}
    assert len(TABLE) == 13 * 19
    assert len(EXPECTED) == 13 * 19


def test_table_matches_the_standard_cell_by_cell() -> None:
    mismatches = []
    for (state, event), action in TABLE.items():
        want = EXPECTED[(state.value, event.value)]
        got = None if action is Action.INVALID else action.value
        if got != want:
            mismatches.append((state.label, event.label, got, want))
    assert mismatches == []


def test_defined_cells_count() -> None:
    # 123 non-blank cells in PS3.8 Table 9-10
    assert sum(action is not Action.INVALID for action in TABLE.values()) == 123


def test_every_action_is_used() -> None:
    assert set(TABLE.values()) == set(Action)


def test_enums_name_the_standard() -> None:
    assert [s.label for s in State] == [f"Sta{i}" for i in range(1, 14)]
    assert [e.label for e in Event] == [f"Evt{i}" for i in range(1, 20)]
    assert State.STA13.description.startswith("Awaiting Transport Connection Close")
    assert State.STA9.description.startswith("Release collision requestor side")
    assert Event.EVT18.description.startswith("ARTIM timer expired")
    assert Event.EVT19.description == "Unrecognized or invalid PDU received"
    assert Action.AA6.value == "AA-6"
    assert Action.AA6.description.startswith("Ignore PDU")
    assert "service-provider source" in Action.AA8.description
    assert "service-user source" in Action.AA1.description
    for member in [*State, *Event, *Action]:
        assert member.description


# 2. Every cell


@pytest.mark.parametrize(("state", "event", "requestor"), CELLS)
def test_cell(state: State, event: Event, requestor: bool) -> None:
    machine = drive(state, requestor=requestor)
    deadline_before = machine.artim_deadline
    last_before = machine.last_transition
    want = EXPECTED[(state.value, event.value)]
    now = 100.0
    pdu = INPUT[event]

    if want is None:
        with pytest.raises(InvalidEventError, match=f"{event.label} .* {state.label}"):
            machine.handle(event, now, pdu)
        assert machine.state is state
        assert machine.artim_deadline == deadline_before
        assert machine.last_transition is last_before
        return

    effects = machine.handle(event, now, pdu)
    next_state, want_effects = expected_outcome(want, event, requestor, pdu)
    assert effects == want_effects
    assert machine.state is next_state
    assert machine.last_transition == Transition(state, event, Action(want), next_state)

    # ARTIM runs exactly in Sta2 and Sta13; AA-6/AA-7 leave it as it was.
    if want in STARTS_ARTIM:
        assert machine.artim_deadline == now + ARTIM
    elif want in KEEPS_ARTIM:
        assert machine.artim_deadline == deadline_before
    else:
        assert machine.artim_deadline is None
    assert (machine.artim_deadline is not None) == (machine.state in (State.STA2, State.STA13))

    # Every way back to Sta1 ends with Close(), and only those.
    assert (machine.state is State.STA1) == (effects[-1:] == [Close()])
    assert machine.collision == (State.STA9 <= machine.state <= State.STA12)
