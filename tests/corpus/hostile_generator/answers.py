"""What an acceptor answers on the wire (PS3.8 9.2, the state table) when a peer sends an
entry as the first bytes of a connection (Sta2) or right after a valid association (Sta6).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .encoding import (
    DEFAULT_LOCAL_MAX,
)
from .model import (
    ModelError,
    Reassembly,
    check_header,
    model_pdu_body,
    stream_pdvs,
)

# ---------------------------------------------------------------------------------------------
# What an acceptor answers on the wire (PS3.8 9.2, the state table), when a peer sends an entry
# as the first bytes of a connection (Sta2) or right after a valid association (Sta6), then ends
# its stream. The answer depends on the first thing the acceptor hears: a whole PDU, a whole
# DIMSE message, an error (the model's, model.py, in wire order), or nothing complete.
# ---------------------------------------------------------------------------------------------

# The acceptor's local maximum PDU, whatever the entry's own: the tests' server uses 16382.
SERVER_LOCAL_MAX = DEFAULT_LOCAL_MAX

# PS3.8 Table 9-26, the A-ABORT reasons of the service provider: unrecognized-PDU (1) for a PDU
# type the standard does not define, unrecognized-PDU-parameter (4) for an item type not allowed
# where it stands, unexpected-PDU-parameter (5) for an item or PDV that may not come (again) at
# that point; every other broken field, length or value is an invalid-PDU-parameter value (6).
ABORT_REASONS = {
    "UnknownPduType": 1,
    "UnknownItemType": 4,
    "Duplicate": 5,
    "MessageSequence": 5,
}
INVALID_PDU_PARAMETER_VALUE = 6
UNEXPECTED_PDU = "A-ABORT(2,2)"  # AA-8 for a valid PDU the state does not expect
AA1 = "A-ABORT(0,0)"  # AA-1: A-ABORT with service-user source, reason 0 (PS3.8 9.3.8)


@dataclass(frozen=True)
class Heard:
    """The first thing an acceptor makes of a stream."""

    what: str  # "pdu", "message", "error" or "incomplete"
    pdu_type: int = 0
    kind: str = ""  # for an error: its kind
    reject_reason: int = 0  # for an error: see ModelError


def first_heard(data: bytes, local_max: int, pdata_at_header: bool) -> Heard:
    """What an acceptor hears first in ``data``. ``pdata_at_header``: a P-DATA-TF counts once
    its header is in (outside Sta6 it is answered whatever its body); else P-DATA-TFs are read
    PDV by PDV until a DIMSE message is whole."""
    pos = 0
    message = Reassembly()
    try:
        while len(data) - pos >= 6:
            pdu_type = data[pos]
            length = struct.unpack_from(">I", data, pos + 2)[0]
            check_header(pdu_type, length, local_max)
            body = pos + 6
            if pdu_type == 4:
                if pdata_at_header:
                    return Heard("pdu", 4)
                pos = stream_pdvs(data, body, body + length, message)
                if message.completed:
                    return Heard("message")
                continue
            if len(data) - body < length:
                break
            model_pdu_body(pdu_type, data[body : body + length])
            return Heard("pdu", pdu_type)
    except ModelError as err:
        if message.completed:
            return Heard("message")  # a whole message came before the error
        if err.kind == "Truncated":
            return Heard("incomplete")
        return Heard("error", kind=err.kind, reject_reason=err.reject_reason)
    return Heard("incomplete")


def sta2_answer(data: bytes) -> str:
    """The answer to ``data`` as the first bytes of a connection (Sta2, ARTIM running)."""
    heard = first_heard(data, SERVER_LOCAL_MAX, pdata_at_header=True)
    if heard.what == "incomplete":
        return "nothing"  # our end of stream: Evt17, AA-5 (just close)
    if heard.what == "error":
        if heard.reject_reason:
            # A title that can never be recognised: rejected-permanent, service-user.
            return f"RJ(1,1,{heard.reject_reason})"
        return AA1  # Evt19, an invalid PDU: AA-1
    if heard.pdu_type == 1:
        return "AC|RJ"  # Evt6, AE-6: the acceptor's own decision
    if heard.pdu_type == 7:
        return "nothing"  # Evt16, AA-2: close
    return AA1  # Evt3, Evt4, Evt10, Evt12, Evt13: AA-1


def sta6_answer(data: bytes) -> str:
    """The answer to ``data`` sent right after a valid association (Sta6)."""
    heard = first_heard(data, SERVER_LOCAL_MAX, pdata_at_header=False)
    if heard.what == "incomplete":
        return "nothing"  # our end of stream: Evt17, AA-4 (no PDU)
    if heard.what == "message":
        # DT-2: the service user answers it (a response), or aborts (a context not accepted).
        return "P-DATA|A-ABORT"
    if heard.what == "error":
        if heard.reject_reason:
            return UNEXPECTED_PDU  # a well-formed A-ASSOCIATE-RQ all the same: Evt6, AA-8
        if heard.kind == "UnknownCommandField":
            # A whole message whose operation no service defines: not a PDU error. The DIMSE
            # service user answers with the failure status Unrecognized Operation (0211H,
            # PS3.7 Annex C) where it can form a response, or aborts; PS3.7 fixes neither.
            return "P-DATA|A-ABORT"
        return f"A-ABORT(2,{ABORT_REASONS.get(heard.kind, INVALID_PDU_PARAMETER_VALUE)})"
    if heard.pdu_type == 5:
        return "RELEASE-RP"  # Evt12, AR-2; the service user releases
    if heard.pdu_type == 7:
        return "nothing"  # Evt16, AA-3: close
    return UNEXPECTED_PDU  # Evt3, Evt4, Evt6, Evt13: AA-8, unexpected PDU
