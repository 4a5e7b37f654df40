"""The reference model: the first error the standard's rules give, in wire order, with the
core's documented error kinds; for a PDU, a command set and a stream fed to a Receiver.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from .encoding import (
    MAX_ASSOCIATE_PDU,
    us,
)

# ---------------------------------------------------------------------------------------------
# Reference model: the first error the standard's rules give, in wire order.
# ---------------------------------------------------------------------------------------------


class ModelError(Exception):
    def __init__(self, kind: str, reject_reason: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind
        # Not 0: the error makes an A-ASSOCIATE-RQ one to reject with this reason (PS3.8
        # Table 9-21, source service-user), not an invalid PDU.
        self.reject_reason = reject_reason


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int) -> bytes:
        if n > self.remaining():
            raise ModelError("LengthOverflow")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def unpack(self, fmt: str) -> int:
        value: int = struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
        return value

    def rest(self) -> bytes:
        return self.take(self.remaining())

    def finish(self) -> None:
        if self.remaining():
            raise ModelError("TrailingBytes")


def _trim(raw_text: bytes) -> bytes:
    return raw_text.strip(b"\0 ")


def check_ae(raw_title: bytes) -> None:
    t = _trim(raw_title)
    if len(t) > 16:
        raise ModelError("LimitExceeded")
    if not all(0x20 <= c < 0x7F and c != 0x5C for c in t):
        raise ModelError("InvalidText")


# PS3.8 Table 9-21: A-ASSOCIATE-RJ reasons from the service user.
CALLING_AE_TITLE_NOT_RECOGNIZED = 3
CALLED_AE_TITLE_NOT_RECOGNIZED = 7


def check_rq_ae(raw_title: bytes, reject_reason: int) -> None:
    """An A-ASSOCIATE-RQ's AE title: the PDU is well formed whatever the 16 bytes hold, and an
    AE title outside the repertoire is one the acceptor cannot recognise (PS3.8 9.3.2, 9.3.4):
    a reason to reject the association, not to abort it."""
    try:
        check_ae(raw_title)
    except ModelError as err:
        raise ModelError(err.kind, reject_reason) from None


def check_uid(raw_uid: bytes) -> None:
    t = _trim(raw_uid)
    if len(t) > 64:
        raise ModelError("LimitExceeded")
    if not all(0x20 <= c < 0x7F for c in t):
        raise ModelError("InvalidText")


def read_item(r: Reader) -> tuple[int, Reader]:
    item_type = r.u8()
    r.u8()
    length = r.unpack(">H")
    return item_type, Reader(r.take(length))


def model_pdu(data: bytes) -> str:
    try:
        r = Reader(data)
        pdu_type = r.u8()
        r.u8()
        length = r.unpack(">I")
        check_pdu_type(pdu_type)
        body = r.take(length)
        r.finish()
        model_pdu_body(pdu_type, body)
    except ModelError as err:
        return err.kind
    return "ok"


def check_pdu_type(pdu_type: int) -> None:
    if not 1 <= pdu_type <= 7:
        raise ModelError("UnknownPduType")


def model_pdu_body(pdu_type: int, body: bytes) -> None:
    if pdu_type in (1, 2):
        if len(body) < 68:
            raise ModelError("LengthTooShort")
        model_associate(pdu_type, Reader(body))
    elif pdu_type == 4:
        r = Reader(body)
        if not r.remaining():
            raise ModelError("Missing")
        while r.remaining():
            length = r.unpack(">I")
            if length < 2:
                raise ModelError("LengthTooShort")
            r.take(length)
    else:
        if len(body) < 4:
            raise ModelError("LengthTooShort")
        if len(body) > 4:
            raise ModelError("TrailingBytes")


def model_associate(pdu_type: int, r: Reader) -> None:
    r.take(4)
    called, calling = r.take(16), r.take(16)
    if pdu_type == 1:
        check_rq_ae(called, CALLED_AE_TITLE_NOT_RECOGNIZED)
        check_rq_ae(calling, CALLING_AE_TITLE_NOT_RECOGNIZED)
    r.take(32)
    seen: set[int] = set()
    ids: set[int] = set()
    while r.remaining():
        item_type, body = read_item(r)
        if item_type == 0x10:
            check_uid(body.rest())
        elif item_type == 0x50:
            model_user_info(body)
        elif item_type == 0x20 and pdu_type == 1:
            ctx_id = model_pc_rq(body)
            if ctx_id in ids:
                raise ModelError("Duplicate")
            ids.add(ctx_id)
            continue
        elif item_type == 0x21 and pdu_type == 2:
            model_pc_ac(body)
            continue
        else:
            raise ModelError("UnknownItemType")
        if item_type in seen:
            raise ModelError("Duplicate")
        seen.add(item_type)
    if 0x10 not in seen or 0x50 not in seen:
        raise ModelError("Missing")


def model_pc_rq(r: Reader) -> int:
    ctx_id = r.u8()
    if ctx_id % 2 == 0:
        raise ModelError("InvalidValue")
    r.take(3)
    abstract = 0
    transfers = 0
    while r.remaining():
        sub_type, body = read_item(r)
        if sub_type == 0x30:
            check_uid(body.rest())
            abstract += 1
            if abstract > 1:
                raise ModelError("Duplicate")
        elif sub_type == 0x40:
            check_uid(body.rest())
            transfers += 1
        else:
            raise ModelError("UnknownItemType")
    if not abstract or not transfers:
        raise ModelError("Missing")
    return ctx_id


def model_pc_ac(r: Reader) -> None:
    if r.u8() % 2 == 0:
        raise ModelError("InvalidValue")  # PS3.8 9.3.3.2: odd, 1 to 255
    r.u8()
    result = r.u8()
    r.u8()
    transfers = 0
    while r.remaining():
        sub_type, body = read_item(r)
        if sub_type != 0x40:
            raise ModelError("UnknownItemType")
        try:
            check_uid(body.rest())
        except ModelError:
            if result == 0:
                raise
            continue  # PS3.8 Table 9-18: not tested unless the context is accepted
        transfers += 1
        if transfers > 1:
            raise ModelError("Duplicate")
    if result == 0 and not transfers:
        raise ModelError("Missing")


def model_user_info(r: Reader) -> None:
    while r.remaining():
        sub_type, body = read_item(r)
        USER_ITEM_MODELS.get(sub_type, lambda b: b.rest())(body)


def _fixed(size: int) -> Callable[[Reader], object]:
    def check(r: Reader) -> None:
        r.take(size)
        r.finish()

    return check


def _uid_item(r: Reader) -> None:
    check_uid(r.rest())


def _version_name(r: Reader) -> None:
    """Printable ASCII of any length: the 1 to 16 characters of PS3.7 D.3.3.2 bind senders."""
    if not all(0x20 <= c < 0x7F for c in _trim(r.rest())):
        raise ModelError("InvalidText")


def _u16_uid(r: Reader) -> None:
    check_uid(r.take(r.unpack(">H")))


def _role(r: Reader) -> None:
    _u16_uid(r)
    r.take(2)
    r.finish()


def _sop_extended(r: Reader) -> None:
    _u16_uid(r)
    r.rest()


def _common_extended(r: Reader) -> None:
    _u16_uid(r)
    _u16_uid(r)
    related = Reader(r.take(r.unpack(">H")))
    while related.remaining():
        _u16_uid(related)
    r.finish()


def _identity_rq(r: Reader) -> None:
    r.take(2)
    r.take(r.unpack(">H"))
    r.take(r.unpack(">H"))
    r.finish()


def _identity_ac(r: Reader) -> None:
    r.take(r.unpack(">H"))
    r.finish()


USER_ITEM_MODELS: dict[int, Callable[[Reader], object]] = {
    0x51: _fixed(4),
    0x52: _uid_item,
    0x53: _fixed(4),
    0x54: _role,
    0x55: _version_name,
    0x56: _sop_extended,
    0x57: _common_extended,
    0x58: _identity_rq,
    0x59: _identity_ac,
}

# Command set elements: (tag) -> value check.
US_TAGS = {
    0x0110,
    0x0120,
    0x0700,
    0x0800,
    0x0900,
    0x0903,
    0x1002,
    0x1008,
    0x1020,
    0x1021,
    0x1022,
    0x1023,
    0x1031,
    0x0100,
}
UI_TAGS = {0x0002, 0x0003, 0x1000, 0x1001}
AE_TAGS = {0x0600, 0x1030}
AT_TAGS = {0x0901, 0x1005}
KNOWN_COMMAND_FIELDS = {
    0x0001,
    0x8001,
    0x0010,
    0x8010,
    0x0020,
    0x8020,
    0x0021,
    0x8021,
    0x0030,
    0x8030,
    0x0100,
    0x8100,
    0x0110,
    0x8110,
    0x0120,
    0x8120,
    0x0130,
    0x8130,
    0x0140,
    0x8140,
    0x0150,
    0x8150,
    0x0FFF,
}


def model_command(data: bytes) -> str:
    try:
        model_command_set(data)
    except ModelError as err:
        return err.kind
    return "ok"


def model_command_set(data: bytes) -> None:
    r = Reader(data)
    if len(data) < 8 or data[:4] != bytes(4):
        raise ModelError("Missing")  # (0000,0000) Command Group Length comes first
    _, value = read_element(r)
    if len(value) != 4:
        raise ModelError("InvalidValue")  # UL
    if struct.unpack("<I", value)[0] != r.remaining():
        raise ModelError("InvalidValue")  # it counts exactly the bytes that follow
    last = 0
    present: dict[int, bytes] = {0x0000: value}
    while r.remaining():
        tag, value = read_element(r)
        if tag <= last:
            raise ModelError("Duplicate" if tag in present else "InvalidValue")
        last = tag
        check_command_value(tag, value)
        present[tag] = value
    if 0x0100 not in present:
        raise ModelError("Missing")
    command_field = struct.unpack("<H", present[0x0100])[0]
    if command_field not in KNOWN_COMMAND_FIELDS:
        raise ModelError("UnknownCommandField")
    if not essential_elements(command_field) <= present.keys():
        raise ModelError("Missing")


def read_element(r: Reader) -> tuple[int, bytes]:
    """An element of group 0000 with an even value length (PS3.5 7.1.1)."""
    if r.remaining() < 8:
        raise ModelError("LengthOverflow")
    group, elem, length = r.unpack("<H"), r.unpack("<H"), r.unpack("<I")
    if group != 0 or length % 2:
        raise ModelError("InvalidValue")
    return elem, r.take(length)


def essential_elements(command_field: int) -> set[int]:
    """The elements a command set is refused without. For a response or a C-CANCEL-RQ, every
    one PS3.7 chapters 9 and 10 make mandatory ("M"): nothing could answer it. For any other
    request, what its answer needs: Message ID and Command Data Set Type; one lacking only
    service-specific elements is delivered, for the policy to answer with a failure status."""
    if command_field & 0x8000:
        return {0x0100, 0x0120, 0x0800, 0x0900}
    if command_field == 0x0FFF:
        return {0x0100, 0x0120, 0x0800}
    return {0x0100, 0x0110, 0x0800}


def check_command_value(elem: int, value: bytes) -> None:
    if elem in US_TAGS and len(value) != 2:
        raise ModelError("InvalidValue")
    if elem in AT_TAGS and len(value) % 4:
        raise ModelError("InvalidValue")
    if elem in UI_TAGS:
        check_uid(value)
    if elem in AE_TAGS:
        check_ae(value)
    if elem == 0x0902 and not all(0x20 <= c < 0x7F for c in value.rstrip(b" \0")):
        raise ModelError("InvalidText")  # LO Error Comment


def command_has_data_set(data: bytes) -> bool:
    r = Reader(data)
    while r.remaining():
        elem, value = read_element(r)
        if elem == 0x0800:
            return value != us(0x0101)
    return False


@dataclass
class Reassembly:
    """PS3.8 9.3.5 / Annex E: a command's fragments, then (if announced) its data set's."""

    context_id: int | None = None
    command: bytearray = field(default_factory=bytearray)
    command_done: bool = False
    completed: int = 0  # whole messages (command and, if announced, data set) so far

    def header(self, ctx_id: int, control: int) -> None:
        is_command = bool(control & 1)
        if self.context_id is None:
            if not is_command:
                raise ModelError("MessageSequence")  # a data set fragment before its command
            self.context_id = ctx_id
        elif ctx_id != self.context_id:
            raise ModelError("MessageSequence")
        elif is_command == self.command_done:
            raise ModelError("MessageSequence")  # a command fragment after its last, or vice versa

    def fragment(self, control: int, data: bytes) -> None:
        if control & 1:
            self.command += data
            if control & 2:
                model_command_set(bytes(self.command))
                self.command_done = True
                if not command_has_data_set(bytes(self.command)):
                    self.completed += 1
                    self.reset()
        elif control & 2:
            self.completed += 1
            self.reset()

    def reset(self) -> None:
        self.context_id = None
        self.command = bytearray()
        self.command_done = False


def model_stream(data: bytes, local_max: int) -> str:
    try:
        run_stream(data, local_max)
    except ModelError as err:
        return err.kind
    return "ok"


def run_stream(data: bytes, local_max: int) -> None:
    pos = 0
    message = Reassembly()
    while pos < len(data):
        if len(data) - pos < 6:
            raise ModelError("Truncated")
        pdu_type = data[pos]
        length = struct.unpack_from(">I", data, pos + 2)[0]
        check_header(pdu_type, length, local_max)
        body_start = pos + 6
        if pdu_type != 4:
            if len(data) - body_start < length:
                raise ModelError("Truncated")
            model_pdu_body(pdu_type, data[body_start : body_start + length])
            pos = body_start + length
            continue
        pos = stream_pdvs(data, body_start, body_start + length, message)


def check_header(pdu_type: int, length: int, local_max: int) -> None:
    """What the framer knows from the 6-byte header alone, before any body byte."""
    check_pdu_type(pdu_type)
    if pdu_type == 4:
        if local_max and length > local_max:
            raise ModelError("LimitExceeded")
        if length < 6:
            raise ModelError("LengthTooShort")  # one or more PDVs of at least 6 bytes
    elif pdu_type in (1, 2):
        if length > MAX_ASSOCIATE_PDU:
            raise ModelError("LimitExceeded")
    elif length < 4:
        raise ModelError("LengthTooShort")  # the fixed PDUs have 4-byte bodies
    elif length > 4:
        raise ModelError("LimitExceeded")


def stream_pdvs(data: bytes, pos: int, end: int, message: Reassembly) -> int:
    """The PDVs of one P-DATA-TF body [pos, end), as they arrive; returns `end`. Nothing is
    judged about bytes that have not arrived: a stream ending first is Truncated."""
    while pos < end:
        if len(data) == pos:
            raise ModelError("Truncated")
        if end - pos < 6:
            raise ModelError("LengthOverflow")  # a PDV header cannot fit in the PDU
        if len(data) - pos < 6:
            raise ModelError("Truncated")
        length = struct.unpack_from(">I", data, pos)[0]
        if length < 2:
            raise ModelError("LengthTooShort")
        if length > end - pos - 4:
            raise ModelError("LengthOverflow")
        ctx_id, control = data[pos + 4], data[pos + 5]
        message.header(ctx_id, control)
        fragment_end = pos + 4 + length
        if len(data) < fragment_end:
            raise ModelError("Truncated")
        message.fragment(control, data[pos + 6 : fragment_end])
        pos = fragment_end
    return end
