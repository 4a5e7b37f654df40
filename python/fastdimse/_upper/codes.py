"""The upper layer's numbers (PS3.8) that the library sends and names, each once.

The A-ASSOCIATE-RJ answers (result, source, reason; PS3.8 9.3.4) the acceptor
gives, the A-ABORT answers (source, reason; PS3.8 9.3.8) the library sends
itself, as the core's ``RejectAnswer`` and ``AbortAnswer`` (a decode error's
``answer`` has the same types), the wording pynetdicom 3.0.4 gives each value
in its logs and primitives, and the default Maximum Length Received.

This module imports only ``fastdimse.errors``, so that the command-line apps
can read the default without importing the library.
"""

from __future__ import annotations

from fastdimse.errors import AbortAnswer, RejectAnswer

__all__ = [
    "ABORT_REASON_TEXT",
    "ABORT_SOURCE_PROVIDER",
    "ABORT_SOURCE_TEXT",
    "ABORT_SOURCE_USER",
    "DEFAULT_MAX_LENGTH",
    "PROVIDER_ABORT",
    "REJECT_APPLICATION_CONTEXT",
    "REJECT_CALLED_AE",
    "REJECT_CALLING_AE",
    "REJECT_LOCAL_LIMIT",
    "REJECT_NO_REASON",
    "REJECT_PROTOCOL_VERSION",
    "REJECT_REASON_TEXT",
    "REJECT_USER_IDENTITY",
    "RESULT_TEXT",
    "RJ_PDU_RESULT_TEXT",
    "RJ_PDU_SOURCE_TEXT",
    "SOURCE_TEXT",
    "UNEXPECTED_PDU_ABORT",
    "USER_ABORT",
]

DEFAULT_MAX_LENGTH = 16382
"""The Maximum Length Received (PS3.8 D.1) we announce unless told otherwise,
and assume of a peer that announces none: pynetdicom's ``DEFAULT_MAX_LENGTH``."""

# A-ASSOCIATE-RJ (result, source, reason), PS3.8 9.3.4 (Table 9-21)
REJECT_NO_REASON = RejectAnswer(0x01, 0x01, 0x01)
REJECT_APPLICATION_CONTEXT = RejectAnswer(0x01, 0x01, 0x02)
REJECT_CALLING_AE = RejectAnswer(0x01, 0x01, 0x03)
REJECT_CALLED_AE = RejectAnswer(0x01, 0x01, 0x07)
REJECT_USER_IDENTITY = RejectAnswer(0x02, 0x02, 0x01)
REJECT_PROTOCOL_VERSION = RejectAnswer(0x01, 0x02, 0x02)
REJECT_LOCAL_LIMIT = RejectAnswer(0x02, 0x03, 0x02)

# A-ABORT sources and (source, reason), PS3.8 9.3.8 (Table 9-26)
ABORT_SOURCE_USER = 0x00
ABORT_SOURCE_PROVIDER = 0x02
USER_ABORT = AbortAnswer(ABORT_SOURCE_USER, 0x00)
PROVIDER_ABORT = AbortAnswer(ABORT_SOURCE_PROVIDER, 0x00)  # reason not specified
UNEXPECTED_PDU_ABORT = AbortAnswer(ABORT_SOURCE_PROVIDER, 0x02)

# pynetdicom's A_ASSOCIATE primitive: result_str and source_str (also what its
# association logs when an association is rejected)
RESULT_TEXT = {0: "Accepted", 1: "Rejected Permanent", 2: "Rejected Transient"}
SOURCE_TEXT = {
    1: "Service User",
    2: "Service Provider (ACSE)",
    3: "Service Provider (Presentation)",
}
# pynetdicom's A-ASSOCIATE-RJ PDU (its DEBUG block): the same values, other words
RJ_PDU_RESULT_TEXT = {1: "Rejected (Permanent)", 2: "Rejected (Transient)"}
RJ_PDU_SOURCE_TEXT = {
    1: "DUL service-user",
    2: "DUL service-provider (ACSE related)",
    3: "DUL service-provider (presentation related)",
}
# source -> reason -> wording: both of pynetdicom's reason_str
REJECT_REASON_TEXT: dict[int, dict[int, str]] = {
    1: {
        **dict.fromkeys(range(1, 11), "Reserved"),
        1: "No reason given",
        2: "Application context name not supported",
        3: "Calling AE title not recognised",
        7: "Called AE title not recognised",
    },
    2: {1: "No reason given", 2: "Protocol version not supported"},
    3: {
        **dict.fromkeys(range(8), "Reserved"),
        1: "Temporary congestion",
        2: "Local limit exceeded",
    },
}

# pynetdicom's A-ABORT PDU: source_str, and reason_str of a provider abort
ABORT_SOURCE_TEXT = {0: "DUL service-user", 1: "Reserved", 2: "DUL service-provider"}
ABORT_REASON_TEXT = {
    0: "No reason given",
    1: "Unrecognised PDU",
    2: "Unexpected PDU",
    3: "Reserved",
    4: "Unrecognised PDU parameter",
    5: "Unexpected PDU parameter",
    6: "Invalid PDU parameter value",
}
