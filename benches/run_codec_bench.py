"""fastdimse's codec next to pynetdicom 3.0.4's, case by case, in one process.

Run: ``python benches/run_codec_bench.py [--quick] [--json FILE]``

Every decode touches every decoded field (a lazy decoder cannot win by doing
nothing); every case checks once, before timing, that both libraries produce
or accept the same thing. Figures are medians of several repetitions, each
repetition long enough for the clock to be meaningful. Aims (reported, never
enforced): at least 20x pynetdicom on PDU and command set decode/encode, and
reassembly of a large data set within 2x of a plain memory copy.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from pydicom.dataset import Dataset
from pynetdicom import dimse_messages, pdu, pdu_items
from pynetdicom.dsutils import decode as pynd_decode_dataset
from pynetdicom.dsutils import encode as pynd_encode_dataset

import fastdimse._core as core

MIB = 1024 * 1024

# --- realistic values ---------------------------------------------------------------

TRANSFER_SYNTAXES = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.4.50"]
IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.9.3811.3.0.4"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"


def storage_sop_classes(count: int) -> list[str]:
    """`count` distinct storage SOP class UIDs, real ones first."""
    real = [
        "1.2.840.10008.5.1.4.1.1.1",
        "1.2.840.10008.5.1.4.1.1.1.1",
        "1.2.840.10008.5.1.4.1.1.2",
        "1.2.840.10008.5.1.4.1.1.2.1",
        "1.2.840.10008.5.1.4.1.1.4",
        "1.2.840.10008.5.1.4.1.1.4.1",
        "1.2.840.10008.5.1.4.1.1.6.1",
        "1.2.840.10008.5.1.4.1.1.7",
        "1.2.840.10008.5.1.4.1.1.12.1",
        "1.2.840.10008.5.1.4.1.1.20",
        "1.2.840.10008.5.1.4.1.1.128",
        "1.2.840.10008.5.1.4.1.1.481.1",
    ]
    extra = [f"1.2.840.10008.5.1.4.1.1.{200 + n}.{n}" for n in range(count)]
    return (real + extra)[:count]


# --- A-ASSOCIATE-RQ / AC --------------------------------------------------------------


def ours_associate_rq(contexts: int = 128) -> core.AssociateRq:
    return core.AssociateRq(
        called_ae_title="STORE-SCP",
        calling_ae_title="CT-MODALITY-01",
        presentation_contexts=[
            core.PresentationContextRq(
                id=2 * index + 1, abstract_syntax=uid, transfer_syntaxes=TRANSFER_SYNTAXES
            )
            for index, uid in enumerate(storage_sop_classes(contexts))
        ],
        user_information=[
            core.MaximumLength(value=16384),
            core.ImplementationClassUid(uid=IMPLEMENTATION_CLASS_UID),
            core.ImplementationVersionName(name="FASTDIMSE_010"),
            core.AsyncOpsWindow(max_operations_invoked=1, max_operations_performed=1),
            core.RoleSelection(sop_class_uid=CT_IMAGE_STORAGE, scu_role=1, scp_role=1),
            core.UserIdentityRq(
                identity_type=2,
                positive_response_requested=True,
                primary_field=b"radiographer",
                secondary_field=b"correct horse battery staple",
            ),
        ],
    )


def ours_associate_ac(contexts: int = 128) -> core.AssociateAc:
    return core.AssociateAc(
        called_ae_title="STORE-SCP",
        calling_ae_title="CT-MODALITY-01",
        presentation_contexts=[
            core.PresentationContextAc(
                id=2 * index + 1,
                result=0 if index % 4 else 3,
                transfer_syntax=TRANSFER_SYNTAXES[0] if index % 4 else None,
            )
            for index in range(contexts)
        ],
        user_information=[
            core.MaximumLength(value=16384),
            core.ImplementationClassUid(uid=IMPLEMENTATION_CLASS_UID),
            core.ImplementationVersionName(name="FASTDIMSE_010"),
            core.AsyncOpsWindow(max_operations_invoked=1, max_operations_performed=1),
            core.RoleSelection(sop_class_uid=CT_IMAGE_STORAGE, scu_role=1, scp_role=1),
            core.UserIdentityAc(server_response=b"ok"),
        ],
    )


def pynd_from_bytes(data: bytes) -> Any:
    """pynetdicom's PDU object for `data` (decoded by pynetdicom itself)."""
    classes = {0x01: pdu.A_ASSOCIATE_RQ, 0x02: pdu.A_ASSOCIATE_AC, 0x04: pdu.P_DATA_TF}
    value = classes[data[0]]()
    value.decode(data)
    return value


def touch_ours_associate(value: Any) -> int:
    """Reads every decoded field of our A-ASSOCIATE-RQ/AC; returns a checksum."""
    # The AC's AE fields are 16 raw bytes (reserved fields): count them unpadded.
    total = value.protocol_version + len(value.called_ae_title.strip())
    total += len(value.calling_ae_title.strip()) + len(value.application_context)
    is_rq = isinstance(value, core.AssociateRq)
    for context in value.presentation_contexts:
        total += context.id
        if is_rq:
            total += len(context.abstract_syntax)
            for syntax in context.transfer_syntaxes:
                total += len(syntax)
        else:
            total += context.result + len(context.transfer_syntax or "")
    for item in value.user_information:
        total += _touch_ours_user_item(item)
    return total


def _touch_ours_user_item(item: Any) -> int:
    match item:
        case core.MaximumLength():
            return item.value & 0xFF
        case core.ImplementationClassUid():
            return len(item.uid)
        case core.ImplementationVersionName():
            return len(item.name)
        case core.AsyncOpsWindow():
            return item.max_operations_invoked + item.max_operations_performed
        case core.RoleSelection():
            return len(item.sop_class_uid) + item.scu_role + item.scp_role
        case core.UserIdentityRq():
            return (
                item.identity_type
                + item.positive_response_requested
                + len(item.primary_field)
                + len(item.secondary_field)
            )
        case core.UserIdentityAc():
            return len(item.server_response)
    raise TypeError(item)


def touch_pynd_associate(value: Any) -> int:
    """Reads every decoded field of pynetdicom's A-ASSOCIATE-RQ/AC; returns a checksum."""
    total = value.protocol_version + len(value.called_ae_title.strip())
    total += len(value.calling_ae_title.strip()) + len(value.application_context_name)
    is_rq = isinstance(value, pdu.A_ASSOCIATE_RQ)
    for context in value.presentation_context:
        total += context.context_id
        if is_rq:
            total += len(context.abstract_syntax)
            for syntax in context.transfer_syntax:
                total += len(syntax)
        else:
            total += context.result + len(context.transfer_syntax or "")
    for item in value.user_information.user_data:
        total += _touch_pynd_user_item(item)
    return total


def _touch_pynd_user_item(item: Any) -> int:
    match item:
        case pdu_items.MaximumLengthSubItem():
            return item.maximum_length_received & 0xFF
        case pdu_items.ImplementationClassUIDSubItem():
            return len(item.implementation_class_uid)
        case pdu_items.ImplementationVersionNameSubItem():
            return len(item.implementation_version_name)
        case pdu_items.AsynchronousOperationsWindowSubItem():
            return item.maximum_number_operations_invoked + item.maximum_number_operations_performed
        case pdu_items.SCP_SCU_RoleSelectionSubItem():
            return len(item.sop_class_uid) + item.scu_role + item.scp_role
        case pdu_items.UserIdentitySubItemRQ():
            return (
                item.user_identity_type
                + item.positive_response_requested
                + len(item.primary_field)
                + len(item.secondary_field)
            )
        case pdu_items.UserIdentitySubItemAC():
            return len(item.server_response)
    raise TypeError(item)


# --- C-STORE-RQ command set -----------------------------------------------------------

COMMAND_ATTRIBUTES = (
    "command_field",
    "affected_sop_class_uid",
    "requested_sop_class_uid",
    "message_id",
    "message_id_being_responded_to",
    "move_destination",
    "priority",
    "command_data_set_type",
    "status",
    "offending_element",
    "error_comment",
    "error_id",
    "affected_sop_instance_uid",
    "requested_sop_instance_uid",
    "event_type_id",
    "attribute_identifier_list",
    "action_type_id",
    "number_of_remaining_suboperations",
    "number_of_completed_suboperations",
    "number_of_failed_suboperations",
    "number_of_warning_suboperations",
    "move_originator_application_entity_title",
    "move_originator_message_id",
)
SOP_INSTANCE_UID = "1.2.826.0.1.3680043.8.498.10645392747718453104718398420931049371"


def ours_c_store_rq() -> core.CommandSet:
    return core.CommandSet(
        0x0001,
        affected_sop_class_uid=CT_IMAGE_STORAGE,
        message_id=7,
        priority=0,
        command_data_set_type=0x0000,
        affected_sop_instance_uid=SOP_INSTANCE_UID,
        move_originator_application_entity_title="QR-SCP",
        move_originator_message_id=3,
    )


def pynd_c_store_rq() -> Dataset:
    """The same command set as pynetdicom builds it (Command Group Length included)."""
    ds = Dataset()
    ds.AffectedSOPClassUID = CT_IMAGE_STORAGE
    ds.CommandField = 0x0001
    ds.MessageID = 7
    ds.Priority = 0
    ds.CommandDataSetType = 0x0000
    ds.AffectedSOPInstanceUID = SOP_INSTANCE_UID
    ds.MoveOriginatorApplicationEntityTitle = "QR-SCP"
    ds.MoveOriginatorMessageID = 3
    ds.CommandGroupLength = len(pynd_encode_dataset(ds, True, True))
    return ds


def touch_ours_command(command: core.CommandSet) -> int:
    total = 0
    for name in COMMAND_ATTRIBUTES:
        value = getattr(command, name)
        if value is not None:
            total += len(value) if isinstance(value, str | list) else value
    return total


def touch_pynd_command(ds: Dataset) -> int:
    total = 0
    for element in ds:
        value = element.value
        total += len(value) if isinstance(value, str | list) else int(value)
    return total


# --- fragmentation and reassembly -----------------------------------------------------


def ours_fragment(max_pdu: int, command: bytes, data_set: bytes) -> bytes:
    return core.fragment_message(max_pdu, 1, command, data_set)


def ours_reassemble(stream: bytes, max_pdu: int, read_size: int) -> tuple[int, int]:
    """Feeds `stream` to a Receiver in `read_size` reads; returns (command field, data length)."""
    # Reassembly into memory is what is measured: no cap below the data set (the
    # default is 1 MiB, and the bulk rows are larger).
    receiver = core.Receiver(max_pdu, max_memory_data_set=len(stream))
    view = memoryview(stream)
    result = None
    for start in range(0, len(stream), read_size):
        for event in receiver.feed(view[start : start + read_size]):
            data = memoryview(event.data_set)
            result = (event.command.command_field + event.command.message_id, len(data))
    assert result is not None
    return result


def split_pdus(stream: bytes) -> list[bytes]:
    """The PDUs of a stream of whole PDUs, by their length fields."""
    pdus, offset = [], 0
    while offset < len(stream):
        end = offset + 6 + int.from_bytes(stream[offset + 2 : offset + 6], "big")
        pdus.append(stream[offset:end])
        offset = end
    return pdus


def pynd_fragment(max_pdu: int, command: Dataset, data_set: bytes) -> list[bytes]:
    """pynetdicom's sending path: DIMSEMessage.encode_msg, then P_DATA_TF.encode per PDU."""
    message = dimse_messages.C_STORE_RQ()
    message.command_set = command
    message.data_set = io.BytesIO(data_set)
    return [pdu.P_DATA_TF(primitive).encode() for primitive in message.encode_msg(1, max_pdu)]


def pynd_reassemble(pdus: list[bytes]) -> tuple[int, int]:
    """pynetdicom's receiving path: P_DATA_TF.decode, to_primitive, decode_msg."""
    message = dimse_messages.DIMSEMessage()
    for raw in pdus:
        pdata = pdu.P_DATA_TF()
        pdata.decode(raw)
        if message.decode_msg(pdata.to_primitive()):
            data = message.data_set.getbuffer()
            return (message.command_set.CommandField + message.command_set.MessageID, len(data))
    raise AssertionError("pynetdicom did not complete the message")


# --- measuring ------------------------------------------------------------------------


def median_seconds(function: Callable[[], object], repeats: int, min_time: float) -> float:
    """Median time of one call: `repeats` repetitions of a batch lasting >= `min_time`."""
    function()  # warm up
    start = time.perf_counter()
    function()
    once = max(time.perf_counter() - start, 1e-7)
    batch = max(1, int(min_time / once))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(batch):
            function()
        samples.append((time.perf_counter() - start) / batch)
    return statistics.median(samples)


@dataclass
class Row:
    case: str
    fastdimse_s: float | None
    pynetdicom_s: float | None
    megabytes: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.fastdimse_s and self.pynetdicom_s:
            return self.pynetdicom_s / self.fastdimse_s
        return None


def micro_rows(repeats: int, min_time: float) -> list[Row]:
    """PDU and command set decode/encode."""
    rows = []
    for label, ours_value in (
        ("A-ASSOCIATE-RQ, 128 contexts", ours_associate_rq()),
        ("A-ASSOCIATE-AC, 128 contexts", ours_associate_ac()),
    ):
        encoded = ours_value.encode()
        theirs = pynd_from_bytes(encoded)
        assert theirs.encode() == encoded, "pynetdicom re-encodes the PDU differently"
        ours_decoded = core.decode_pdu(encoded)
        assert touch_ours_associate(ours_decoded) == touch_pynd_associate(theirs)
        size = len(encoded) / MIB
        rows.append(
            Row(
                f"{label}: decode ({len(encoded)} B)",
                median_seconds(
                    lambda e=encoded: touch_ours_associate(core.decode_pdu(e)), repeats, min_time
                ),
                median_seconds(
                    lambda e=encoded: touch_pynd_associate(pynd_from_bytes(e)), repeats, min_time
                ),
                size,
            )
        )
        rows.append(
            Row(
                f"{label}: encode",
                median_seconds(ours_decoded.encode, repeats, min_time),
                median_seconds(theirs.encode, repeats, min_time),
                size,
            )
        )

    command, dataset = ours_c_store_rq(), pynd_c_store_rq()
    encoded = command.encode()
    assert pynd_encode_dataset(dataset, True, True) == encoded, "command encodings differ"
    decoded = pynd_decode_dataset(io.BytesIO(encoded), True, True)
    assert (
        touch_ours_command(core.decode_command_set(encoded))
        == touch_pynd_command(decoded) - decoded.CommandGroupLength
    )
    size = len(encoded) / MIB
    rows.append(
        Row(
            f"C-STORE-RQ command set: decode ({len(encoded)} B)",
            median_seconds(
                lambda: touch_ours_command(core.decode_command_set(encoded)), repeats, min_time
            ),
            median_seconds(
                lambda: touch_pynd_command(pynd_decode_dataset(io.BytesIO(encoded), True, True)),
                repeats,
                min_time,
            ),
            size,
        )
    )
    rows.append(
        Row(
            "C-STORE-RQ command set: encode",
            median_seconds(command.encode, repeats, min_time),
            median_seconds(lambda: pynd_encode_dataset(dataset, True, True), repeats, min_time),
            size,
        )
    )
    return rows


def bulk_rows(size: int, repeats: int, read_sizes: tuple[int, ...]) -> list[Row]:
    """Fragmentation and reassembly of a `size`-byte data set, and a memory copy."""
    data_set = bytes(range(256)) * (size // 256)
    megabytes = len(data_set) / MIB
    command, dataset = ours_c_store_rq().encode(), pynd_c_store_rq()
    rows = [
        Row(
            f"memory copy, bytearray(data) ({megabytes:.0f} MiB)",
            median_seconds(lambda: bytearray(data_set), repeats, 0.0),
            None,
            megabytes,
        ),
    ]
    view = memoryview(data_set)
    target = bytearray(len(data_set))
    rows.append(
        Row(
            f"memory copy, memoryview slice assignment ({megabytes:.0f} MiB)",
            median_seconds(lambda: target.__setitem__(slice(None), view), repeats, 0.0),
            None,
            megabytes,
        )
    )
    for max_pdu in (16 * 1024, MIB):
        label = f"{megabytes:.0f} MiB data set, max PDU {max_pdu // 1024} KiB"
        stream = ours_fragment(max_pdu, command, data_set)
        their_pdus = pynd_fragment(max_pdu, dataset, data_set)
        expected = (0x0001 + 7, len(data_set))
        assert pynd_reassemble(their_pdus) == expected
        for read_size in read_sizes:
            assert ours_reassemble(stream, max_pdu, read_size) == expected
        # Our reassembly of pynetdicom's PDUs, and theirs of ours: same message.
        assert ours_reassemble(b"".join(their_pdus), max_pdu, read_sizes[0]) == expected
        rows.append(
            Row(
                f"{label}: fragment",
                median_seconds(lambda m=max_pdu: ours_fragment(m, command, data_set), repeats, 0.0),
                median_seconds(lambda m=max_pdu: pynd_fragment(m, dataset, data_set), repeats, 0.0),
                megabytes,
            )
        )
        pynd_time = median_seconds(lambda p=their_pdus: pynd_reassemble(p), repeats, 0.0)
        for read_size in read_sizes:
            rows.append(
                Row(
                    f"{label}: reassemble ({read_size // 1024} KiB reads)",
                    median_seconds(
                        lambda s=stream, m=max_pdu, r=read_size: ours_reassemble(s, m, r),
                        repeats,
                        0.0,
                    ),
                    pynd_time,
                    megabytes,
                )
            )
        del stream, their_pdus
    return rows


# --- output ---------------------------------------------------------------------------


def _format_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_table(rows: list[Row]) -> str:
    width = max(len(row.case) for row in rows)
    header = f"{'case':<{width}}  {'fastdimse':>10}  {'pynetdicom':>10}  {'ratio':>8}  {'MB/s':>9}"
    lines = [header, "-" * len(header)]
    for row in rows:
        ratio = f"{row.ratio:.1f}x" if row.ratio else "-"
        rate = (
            f"{row.megabytes * MIB / 1e6 / row.fastdimse_s:.0f}"
            if row.megabytes and row.fastdimse_s
            else "-"
        )
        lines.append(
            f"{row.case:<{width}}  {_format_time(row.fastdimse_s):>10}  "
            f"{_format_time(row.pynetdicom_s):>10}  {ratio:>8}  {rate:>9}"
        )
    return "\n".join(lines)


def aims(rows: list[Row]) -> list[str]:
    """The aims, reported (never enforced)."""
    report = []
    for row in rows:
        if row.pynetdicom_s and ("decode" in row.case or "encode" in row.case):
            verdict = "met" if row.ratio and row.ratio >= 20 else "NOT met"
            report.append(f"{verdict}: >= 20x pynetdicom, {row.case} ({row.ratio:.1f}x)")
    copies = [row.fastdimse_s for row in rows if row.case.startswith("memory copy")]
    copy = min(t for t in copies if t is not None) if copies else None
    for row in rows:
        if "reassemble" in row.case and copy and row.fastdimse_s:
            factor = row.fastdimse_s / copy
            verdict = "met" if factor <= 2 else "NOT met"
            report.append(f"{verdict}: within 2x of a memory copy, {row.case} ({factor:.2f}x)")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions and a 5 MiB data set"
    )
    args = parser.parse_args(argv)
    repeats, min_time, size = (3, 0.02, 5 * MIB) if args.quick else (7, 0.1, 50 * MIB)

    rows = micro_rows(repeats, min_time) + bulk_rows(size, repeats, (64 * 1024, MIB))
    print(f"fastdimse {core.__version__} vs pynetdicom 3.0.4, Python {platform.python_version()}")
    print(f"medians of {repeats} repetitions; ratio = pynetdicom time / fastdimse time\n")
    print(format_table(rows))
    print()
    for line in aims(rows):
        print(line)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(
                {
                    "python": platform.python_version(),
                    "fastdimse": core.__version__,
                    "rows": [asdict(row) | {"ratio": row.ratio} for row in rows],
                    "aims": aims(rows),
                },
                out,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
