"""The named hostile corpus (tests/corpus/hostile) through `fastdimse._core`.

Each entry runs through its entry point (`decode_pdu`, `decode_command_set`, or a `Receiver`
fed and then finished) with the input given as bytes, bytearray and memoryview; the outcome is
`ok` or a `DecodeError` (a `ValueError`) whose `kind` the manifest names.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fastdimse import _core
from fastdimse.errors import DecodeError

CORPUS = Path(__file__).resolve().parent / "corpus"
HOSTILE = CORPUS / "hostile"


def _manifest() -> list[dict[str, str]]:
    with (HOSTILE / "MANIFEST.tsv").open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


ENTRIES = _manifest()
ANSWER = re.compile(r"nothing|AC|RJ(\(\d,\d,\d+\))?|A-ABORT(\(\d,\d\))?|RELEASE-RP|P-DATA")
BUFFERS: dict[str, Callable[[bytes], Any]] = {
    "bytes": bytes,
    "bytearray": bytearray,
    "memoryview": memoryview,
}


def _receive(data: Any, local_max_pdu: int) -> None:
    receiver = _core.Receiver(local_max_pdu)
    receiver.feed(data)
    receiver.finish()


def _run(entry: dict[str, str], data: Any) -> None:
    kind = entry["entry"]
    if kind == "pdu":
        _core.decode_pdu(data)
    elif kind == "command":
        _core.decode_command_set(data)
    elif kind == "stream":
        _receive(data, int(entry["local_max_pdu"]))
    else:
        raise AssertionError(f"unknown entry point {kind}")


@pytest.mark.parametrize("buffer", BUFFERS)
@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_hostile_entry(entry: dict[str, str], buffer: str) -> None:
    data = BUFFERS[buffer]((HOSTILE / f"{entry['name']}.bin").read_bytes())
    if entry["expect"] == "ok":
        _run(entry, data)
        return
    with pytest.raises(DecodeError) as info:
        _run(entry, data)
    assert isinstance(info.value, ValueError)
    assert info.value.kind == entry["expect"], str(info.value)


def test_stream_entries_byte_by_byte() -> None:
    """Feeding one byte at a time gives the same outcome as one piece."""
    mismatches = []
    for entry in ENTRIES:
        if entry["entry"] != "stream":
            continue
        data = (HOSTILE / f"{entry['name']}.bin").read_bytes()
        receiver = _core.Receiver(int(entry["local_max_pdu"]))
        try:
            for i in range(len(data)):
                receiver.feed(data[i : i + 1])
            receiver.finish()
            outcome = "ok"
        except DecodeError as err:
            outcome = err.kind
        if outcome != entry["expect"]:
            mismatches.append(f"{entry['name']}: expected {entry['expect']}, got {outcome}")
    assert not mismatches, "\n".join(mismatches)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_hostile", CORPUS / "make_hostile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered while it runs: its dataclasses look their module up by name.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_generator_reproduces_committed_files() -> None:
    """The committed corpus is exactly what make_hostile.py writes: it cannot drift."""
    expected: dict[str, bytes] = _generator().expected_files()
    on_disk = {p.name: p.read_bytes() for p in HOSTILE.iterdir()}
    assert sorted(on_disk) == sorted(expected)
    changed = [name for name, data in expected.items() if on_disk[name] != data]
    assert not changed, f"re-run tests/corpus/make_hostile.py; changed: {changed[:10]}"


def test_manifest_is_well_formed() -> None:
    kinds = {
        "ok", "LengthOverflow", "LengthTooShort", "TrailingBytes", "UnknownPduType",
        "UnknownItemType", "Missing", "Duplicate", "InvalidValue", "InvalidText",
        "NonConformantUid", "LimitExceeded", "UnknownCommandField", "MessageSequence",
        "Truncated", "Sink",
    }  # fmt: skip
    for entry in ENTRIES:
        assert entry["entry"] in {"pdu", "stream", "command"}, entry
        assert entry["expect"] in kinds, entry
        assert int(entry["local_max_pdu"]) >= 0, entry
        assert entry["description"], entry
        for state in ("sta2", "sta6"):
            # The answer on the wire (test_hostile_peers_*.py): "-" for command sets, else
            # alternatives of "AC", "RJ(r,s,r)", "A-ABORT(s,r)", "RELEASE-RP", "P-DATA"...
            if entry["entry"] == "command":
                assert entry[state] == "-", entry
            else:
                assert all(ANSWER.fullmatch(one) for one in entry[state].split("|")), entry
