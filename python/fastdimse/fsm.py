"""pynetdicom's ``fastdimse.fsm``: the PS3.8 state table.

A thin re-export: the code lives in ``fastdimse._upper.state_table``.
"""

from fastdimse._upper.state_table import (
    TABLE,
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

__all__ = [
    "TABLE",
    "Action",
    "Close",
    "Connect",
    "Effect",
    "Event",
    "Indicate",
    "Indication",
    "InvalidEventError",
    "Send",
    "State",
    "StateMachine",
    "Transition",
    "classify_pdu",
]
