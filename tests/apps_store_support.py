"""Helpers and fixtures shared by the store apps' tests (tests/test_apps_store*.py).

The fixtures (servers, mixed, study, pnd_scp, pnd_scu) are registered for every test file by
tests/conftest.py (pytest_plugins).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from benches.synthetic import write_study
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filereader import read_file_meta_info
from pydicom.uid import UID

from helpers import (
    APP_TIMEOUT,
    LOCALHOST,
    PORT,
    Server,
    app_cmd,
    data_set_bytes,
    dcmtk,
    dcmtk_env,
    free_port,
    pynetdicom_app,
    run_app,
)

VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
JPEG2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
DEFAULT_SYNTAXES = [EXPLICIT_LE, IMPLICIT_LE, DEFLATED_LE, EXPLICIT_BE]

_PYNETDICOM = importlib.util.find_spec("pynetdicom")
assert _PYNETDICOM is not None and _PYNETDICOM.origin is not None
# pynetdicom's own test files: CT (explicit LE), MR (big endian and JPEG 2000), RT image
# (implicit, 2 MB), SC (deflated), and a CT whose meta lacks the SOP class.
PN_FILES = Path(_PYNETDICOM.origin).parent / "tests" / "dicom_files"
MIXED = [
    "CTImageStorage.dcm",
    "MRImageStorage_ExplicitVRBigEndian.dcm",
    "MRImageStorage_JPG2000_Lossless.dcm",
    "RTImageStorage.dcm",
    "SCImageStorage_Deflated.dcm",
]
# The RT image's meta group names another SOP instance than its data set: a sender that
# streams it (ours, pynetdicom's chunked mode) names the meta group's in the request, and
# our storescp refuses a data set that is not the instance the request names.
RT_IMAGE = "RTImageStorage.dcm"
# DCMTK's storescu drops Data Set Trailing Padding (pynetdicom's CT image has some).
TRAILING_PADDING = 0xFFFCFFFC

# pynetdicom's RT image has a UID with a leading zero: pydicom warns when pynetdicom (in this
# process) decodes the command set that carries it, and warnings are errors here.
lenient_uids = pytest.mark.filterwarnings("ignore:Invalid value for VR UI:UserWarning")

# ---------------------------------------------------------------------------------------------
# Helpers: processes


def storescu(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    """Our storescu: `args` are options and paths (addr and port come first)."""
    return run_app("storescu", LOCALHOST, str(port), *args)


@pytest.fixture
def servers(tmp_path: Path, subprocess_servers: Callable[..., Server]) -> Callable[..., Server]:
    """start(kind, *args, cwd=None): our storescp, pynetdicom's or DCMTK's on a free port."""

    def start(kind: str, *args: str, cwd: Path | None = None) -> Server:
        env = None
        if kind == "ours":
            argv = app_cmd("storescp", "-ba", LOCALHOST, *args, PORT)
        elif kind == "pynetdicom":
            argv = pynetdicom_app("storescp", "-ba", LOCALHOST, *args, PORT)
        elif kind == "dcmtk":
            argv, env = [dcmtk("storescp"), *args, PORT], dcmtk_env()
        else:
            raise ValueError(kind)
        return subprocess_servers(argv, name=kind, cwd=cwd or tmp_path, env=env)

    return start


# ---------------------------------------------------------------------------------------------
# Helpers: files


def read_quietly(path: Path) -> Dataset:
    """dcmread with every value decoded, without warnings (pynetdicom's RT image has a UID
    that pydicom warns about, and warnings are errors here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dcmread(path)
        for _ in ds.iterall():  # decode every value now, inside the filter
            pass
        for _ in ds.file_meta:
            pass
        return ds


def read_meta(path: Path) -> FileMetaDataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meta = read_file_meta_info(path)
        for _ in meta:  # decode every value now, inside the filter
            pass
        return meta


def meta_syntax(path: Path) -> str:
    return str(read_meta(path).TransferSyntaxUID)


def meta_class(path: Path) -> str:
    return str(read_meta(path).MediaStorageSOPClassUID)


def instance_uid(path: Path) -> str:
    return str(read_meta(path).MediaStorageSOPInstanceUID)


def on_the_wire(path: Path) -> bytes:
    """The data set of `path` as our engine streams it: as on disk, but a deflated one of odd
    length gets its trailing NULL (PS3.5 A.5)."""
    data = data_set_bytes(path)
    if meta_syntax(path) == DEFLATED_LE and len(data) % 2:
        return data + b"\x00"
    return data


def assert_same_instance(
    sent: Path,
    stored: Path,
    *,
    raw: bool = False,
    padded: bool = False,
    named_by_meta: bool = True,
    skip: tuple[int, ...] = (),
) -> None:
    """`stored` holds the data set of `sent`: the same elements outside group 0002 (and the
    tags in `skip`), with equal values (and VRs when both files have the same transfer
    syntax); with `raw`, the data set bytes are identical too (`padded`: as our engine sends
    them, see `on_the_wire`). The stored meta group names
    the SOP instance the request named: the one in the sent file's meta group when the sender
    streams files (`named_by_meta`), else the one in its data set.

    Across implicit and explicit VR a private element's VR is unknown on the implicit side
    (its value stays raw bytes), so only its presence is compared then.
    """
    a, b = read_quietly(sent), read_quietly(stored)
    same_syntax = a.file_meta.TransferSyntaxUID == b.file_meta.TransferSyntaxUID
    tags_a = [e.tag for e in a if e.tag.group != 0x0002 and e.tag not in skip]
    tags_b = [e.tag for e in b if e.tag.group != 0x0002 and e.tag not in skip]
    assert tags_a == tags_b, f"{stored}: other elements than {sent}"
    swapped = (a.file_meta.TransferSyntaxUID == EXPLICIT_BE) != (
        b.file_meta.TransferSyntaxUID == EXPLICIT_BE
    )
    for tag in tags_a:
        if same_syntax:
            assert a[tag].VR == b[tag].VR, f"{stored}: {tag} VR differs from {sent}"
        elif tag.is_private:
            continue
        value = a[tag].value
        if swapped and a[tag].VR == "OW":
            value = _swap_words(value)  # other-word bytes are stored in the syntax's order
        assert value == b[tag].value, f"{stored}: {tag} differs from {sent}"
    # pynetdicom's RT image names another instance in its meta group than in its data set.
    for meta_keyword, keyword in (
        ("MediaStorageSOPInstanceUID", "SOPInstanceUID"),
        ("MediaStorageSOPClassUID", "SOPClassUID"),
    ):
        expected = (named_by_meta and a.file_meta.get(meta_keyword)) or a.get(keyword)
        assert str(b.file_meta.get(meta_keyword)) == str(expected), f"{stored}: {meta_keyword}"
    if raw:
        assert same_syntax, f"{stored}: transfer syntax changed"
        expected = on_the_wire(sent) if padded else data_set_bytes(sent)
        assert expected == data_set_bytes(stored), f"{stored}: bytes differ"


def _swap_words(data: bytes) -> bytes:
    swapped = bytearray(data)
    swapped[0::2], swapped[1::2] = data[1::2], data[0::2]
    return bytes(swapped)


def dataset_uid(path: Path) -> str:
    """The SOP Instance UID in the data set (not the meta group) of `path`."""
    return str(read_quietly(path).SOPInstanceUID)


def by_instance(directory: Path) -> dict[str, Path]:
    """The DICOM files in `directory` by SOP Instance UID."""
    return {instance_uid(p): p for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A directory with pynetdicom's five test files in five transfer syntaxes."""
    directory = tmp_path / "mixed"
    directory.mkdir()
    for name in MIXED:
        shutil.copy(PN_FILES / name, directory / name)
    return directory


@pytest.fixture
def study(tmp_path: Path) -> list[Path]:
    """Twelve small synthetic CT slices (explicit VR little endian)."""
    return write_study(tmp_path / "study", 12, rows=32, columns=32)


# ---------------------------------------------------------------------------------------------
# Helpers: pynetdicom 3.0.4 in this process


@dataclass
class Received:
    sop_class: str
    sop_instance: str
    syntax: str
    data: bytes  # the data set as the peer encoded it
    assoc: Any


class PndStoreScp:
    """pynetdicom's AE as a Storage SCP in this process, recording what arrives."""

    def __init__(self) -> None:
        self.servers: list[Any] = []
        self.received: list[Received] = []
        self.released: list[Any] = []
        self.aborted: list[Any] = []
        self.unblock = threading.Event()
        self._cond = threading.Condition()

    def start(
        self, *, status: Callable[[int], int] | None = None, store_blocks: bool = False
    ) -> int:
        from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt

        def on_store(event: Any) -> int:
            item = Received(
                str(event.request.AffectedSOPClassUID),
                str(event.request.AffectedSOPInstanceUID),
                str(event.context.transfer_syntax),
                event.encoded_dataset(include_meta=False),
                event.assoc,
            )
            with self._cond:
                self.received.append(item)
                self._cond.notify_all()
            if store_blocks:
                self.unblock.wait(APP_TIMEOUT)
            return status(len(self.received)) if status else 0x0000

        def on_end(kind: list[Any]) -> Callable[[Any], None]:
            def record(event: Any) -> None:
                with self._cond:
                    kind.append(event.assoc)
                    self._cond.notify_all()

            return record

        ae = AE()  # AE title "PYNETDICOM"
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 15
        for cx in AllStoragePresentationContexts:
            ae.add_supported_context(str(cx.abstract_syntax), ALL_TRANSFER_SYNTAXES)
        handlers: list[Any] = [
            (evt.EVT_C_STORE, on_store),
            (evt.EVT_RELEASED, on_end(self.released)),
            (evt.EVT_ABORTED, on_end(self.aborted)),
        ]
        port = free_port()
        self.servers.append(ae.start_server((LOCALHOST, port), block=False, evt_handlers=handlers))
        return port

    def wait_ended(self) -> Any:
        """The one association, once it was released or aborted."""
        with self._cond:
            ok = self._cond.wait_for(lambda: self.released or self.aborted, timeout=APP_TIMEOUT)
        assert ok, "the association did not end"
        (assoc,) = self.released + self.aborted
        return assoc

    def close(self) -> None:
        self.unblock.set()
        for server in self.servers:
            server.shutdown()


@pytest.fixture
def pnd_scp() -> Iterator[PndStoreScp]:
    scp = PndStoreScp()
    yield scp
    scp.close()


def proposed(assoc: Any) -> list[tuple[str, list[str]]]:
    """The presentation contexts the requestor proposed, in order."""
    return [
        (str(cx.abstract_syntax), [str(ts) for ts in cx.transfer_syntax])
        for cx in assoc.requestor.primitive.presentation_context_definition_list
    ]


def pynetdicom_default_classes() -> set[str]:
    from pynetdicom import StoragePresentationContexts

    return {str(cx.abstract_syntax) for cx in StoragePresentationContexts}


@pytest.fixture
def pnd_scu(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A pynetdicom AE to request contexts on and associate with our storescp; it streams
    each file's data set as it is on disk (else it would decode and re-encode it)."""
    from pynetdicom import AE, _config

    monkeypatch.setattr(_config, "STORE_SEND_CHUNKED_DATASET", True)
    ae = AE()
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 15
    yield ae
    ae.shutdown()


def send_with_pynetdicom(ae: Any, port: int, paths: list[Path]) -> list[int]:
    """Associate, send every file (streamed from its path by pynetdicom) and release."""
    for path in paths:
        ae.add_requested_context(meta_class(path), meta_syntax(path))
    assoc = ae.associate(LOCALHOST, port, ae_title="STORESCP")
    assert assoc.is_established
    try:
        return [int(assoc.send_c_store(path).Status) for path in paths]
    finally:
        assoc.release()


def distinct_class_files(directory: Path, count: int) -> list[Path]:
    """`count` tiny files, each of another storage SOP class."""
    from pynetdicom import AllStoragePresentationContexts

    directory.mkdir()
    paths = []
    for index, cx in enumerate(AllStoragePresentationContexts[:count]):
        ds = Dataset()
        ds.SOPClassUID = cx.abstract_syntax
        ds.SOPInstanceUID = f"1.2.826.0.1.3680043.9.7433.{index + 1}"
        ds.PatientName = "CLASS^MANY"
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = UID(EXPLICIT_LE)
        path = directory / f"{index:03d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths
