"""The apps `python -m fastdimse storescu|storescp` against real peers.

Peers: pynetdicom 3.0.4 in this process (its AE records what storescu negotiated and sent, or
sends to storescp), the subprocesses `python -m pynetdicom storescu|storescp`, DCMTK's
storescu and storescp, and our two apps with each other. What was stored is compared with what
was sent element by element outside group 0002 and, where the sender streams the file and the
transfer syntax is unchanged, byte for byte.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
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
    UNRESOLVABLE_HOST,
    Server,
    app_cmd,
    data_set_bytes,
    dcmtk,
    dcmtk_env,
    free_port,
    pynetdicom_app,
    run,
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


# ---------------------------------------------------------------------------------------------
# Arguments and output without a peer


def test_main_lists_the_store_apps() -> None:
    proc = run([sys.executable, "-m", "fastdimse", "--help"])
    assert proc.returncode == 0
    assert "storescu" in proc.stdout and "storescp" in proc.stdout


@pytest.mark.parametrize(
    ("app", "args"),
    [
        ("storescu", ["127.0.0.1", "11112", "x.dcm", "--version"]),
        ("storescp", ["11112", "--version"]),
        ("storescu", ["--version"]),
        ("storescp", ["--version"]),
    ],
)
def test_flag_version(app: str, args: list[str]) -> None:
    from fastdimse._core import __version__

    proc = run_app(app, *args)
    assert (proc.returncode, proc.stdout) == (0, f"{app}.py v{__version__}\n")


@pytest.mark.parametrize("app", ["storescu", "storescp"])
def test_help_lists_pynetdicoms_options(app: str) -> None:
    proc = run_app(app, "--help")
    assert proc.returncode == 0
    common = [
        "--version",
        "-q, --quiet",
        "-v, --verbose",
        "-d, --debug",
        "-ll [l], --log-level",
        "-ta [s]econds, --acse-timeout",
        "-td [s]econds, --dimse-timeout",
        "-tn [s]econds, --network-timeout",
        "-pdu [n]umber of bytes, --max-pdu",
        "Parameters:",
        "General Options:",
        "Network Options:",
    ]
    own = {
        "storescu": [
            "usage: storescu [options] addr port path",
            "-r, --recurse",
            "-aet [a]etitle, --calling-aet",
            "-aec [a]etitle, --called-aet",
            "-xe, --request-little",
            "-xb, --request-big",
            "-xi, --request-implicit",
            "-cx, --required-contexts",
            "Input Options:",
            "Transfer Syntax Options:",
        ],
        "storescp": [
            "usage: storescp [options] port",
            "-aet [a]etitle, --ae-title",
            "-ba [a]ddress, --bind-address",
            "-x=, --prefer-uncompr",
            "-xe, --prefer-little",
            "-xb, --prefer-big",
            "-xi, --implicit",
            "-od [d]irectory, --output-directory",
            "--ignore",
            "--fsync",
            "--no-echo",
            "Output Options:",
        ],
    }[app]
    for text in common + own:
        assert text in proc.stdout, text


@pytest.mark.parametrize(
    ("app", "args"),
    [
        ("storescu", ["127.0.0.1", "11112"]),  # no path
        ("storescu", ["127.0.0.1", "notaport", "x.dcm"]),
        ("storescu", ["-q", "-v", "127.0.0.1", "11112", "x.dcm"]),
        ("storescu", ["-xe", "-xi", "127.0.0.1", "11112", "x.dcm"]),
        ("storescu", ["-ll", "loud", "127.0.0.1", "11112", "x.dcm"]),
        ("storescp", []),
        ("storescp", ["-v", "-d", "11112"]),
        ("storescp", ["-xe", "-xb", "11112"]),
        ("storescp", ["-od", "11112"]),  # -od takes the port: no port left
    ],
)
def test_bad_arguments_exit_2(app: str, args: list[str]) -> None:
    proc = run_app(app, *args)
    assert proc.returncode == 2
    assert f"usage: {app} [options]" in proc.stderr


def test_storescu_no_such_path() -> None:
    # Not as pynetdicom's, which exits with 0: when no path given exists, it says so and fails.
    proc = run_app(
        "storescu", "-d", LOCALHOST, str(free_port()), "no-such-file.dcm", "no-such-folder"
    )
    assert proc.returncode == 1
    assert "E: Cannot access path: no-such-file.dcm" in proc.stderr
    assert "E: Cannot access path: no-such-folder" in proc.stderr
    assert proc.stderr.splitlines()[-1] == "E: No file to send: none of the paths given exists"
    assert "Requesting Association" not in proc.stderr
    proc = run_app("storescu", "-q", LOCALHOST, str(free_port()), "no-such-file.dcm")
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")


def test_storescu_missing_path_beside_a_folder_without_dicom_files(tmp_path: Path) -> None:
    # As pynetdicom's: a path that exists but holds no DICOM file is nothing to send, not an
    # error; the missing one is reported.
    (tmp_path / "notes.txt").write_text("not DICOM\n")
    proc = run_app("storescu", "-v", LOCALHOST, str(free_port()), "no-such-file.dcm", str(tmp_path))
    assert proc.returncode == 0
    assert "E: Cannot access path: no-such-file.dcm" in proc.stderr
    assert "W: No suitable DICOM files found" in proc.stderr


def test_storescu_no_dicom_file_quiet(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not DICOM\n")
    proc = run_app("storescu", "-q", LOCALHOST, str(free_port()), str(tmp_path))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_storescu_no_peer(study: list[Path]) -> None:
    proc = storescu(free_port(), str(study[0]))
    assert proc.returncode == 1
    assert "Association request failed: unable to connect to remote" in proc.stderr
    assert "TCP Initialisation Error" in proc.stderr
    proc = storescu(free_port(), "-q", str(study[0]))
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")


def test_storescu_unresolvable_host(study: list[Path]) -> None:
    """One error line in the apps' format, no traceback, status 1."""
    proc = run_app("storescu", UNRESOLVABLE_HOST, "104", str(study[0]))
    assert proc.returncode == 1
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"E: Cannot resolve the peer's address '{UNRESOLVABLE_HOST}': "), line
    proc = run_app("storescu", "-q", UNRESOLVABLE_HOST, "104", str(study[0]))
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")


def test_storescu_acse_timeout(study: list[Path]) -> None:
    # A peer that accepts the connection and never answers the A-ASSOCIATE-RQ.
    with socket.socket() as listener:
        listener.bind((LOCALHOST, 0))
        listener.listen()
        proc = storescu(listener.getsockname()[1], "-ta", "0.5", str(study[0]))
    assert proc.returncode == 1
    assert "ACSE timeout reached while waiting for response" in proc.stderr


def _distinct_class_files(directory: Path, count: int) -> list[Path]:
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


def test_storescu_required_contexts_over_128(tmp_path: Path) -> None:
    _distinct_class_files(tmp_path / "many", 129)
    # Nothing listens there: the error must come before any connection attempt.
    proc = storescu(free_port(), "-cx", str(tmp_path / "many"))
    assert proc.returncode == 1
    assert "129 presentation contexts" in proc.stderr
    assert "Association request failed" not in proc.stderr


def test_plan_contexts_limits(tmp_path: Path) -> None:
    from fastdimse.apps.storescu import (
        TooManyContexts,
        parse_args,
        plan_contexts,
        scan_file,
    )

    files = [scan_file(p) for p in _distinct_class_files(tmp_path / "many", 65)]
    defaults = sorted(pynetdicom_default_classes())
    # 65 exact + 65 fallback contexts would be 130: the fallbacks go, the exact ones stay.
    contexts = plan_contexts(files, parse_args(["h", "1", "f"]), defaults)
    assert len(contexts) == len(defaults) == 120  # pynetdicom's count, filled from its list
    assert contexts[:65] == [(f.sop_class, [EXPLICIT_LE]) for f in files]
    contexts = plan_contexts(files[:60], parse_args(["h", "1", "f"]), defaults)
    assert contexts[:120] == [(f.sop_class, [EXPLICIT_LE]) for f in files[:60]] + [
        (f.sop_class, DEFAULT_SYNTAXES) for f in files[:60]
    ]
    assert len(contexts) == 120
    # -cx: one context per class and syntax, repeats counted once; no fill.
    required = parse_args(["-cx", "h", "1", "f"])
    assert plan_contexts(files * 2, required, defaults) == [
        (f.sop_class, [EXPLICIT_LE]) for f in files
    ]
    more = [scan_file(p) for p in _distinct_class_files(tmp_path / "more", 129)]
    with pytest.raises(TooManyContexts, match="129 presentation contexts"):
        plan_contexts(more, required, defaults)


# ---------------------------------------------------------------------------------------------
# storescu -> pynetdicom 3.0.4 (in process): what it negotiates and sends


def test_storescu_default_single_file(pnd_scp: PndStoreScp) -> None:
    port = pnd_scp.start()
    path = PN_FILES / "CTImageStorage.dcm"
    proc = storescu(port, str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == proc.stderr == ""  # errors only; no summary for one file
    assoc = pnd_scp.wait_ended()
    assert pnd_scp.released == [assoc]
    requestor = assoc.requestor
    assert requestor.ae_title == "STORESCU"
    assert requestor.primitive.called_ae_title == "ANY-SCP"
    assert requestor.maximum_length == 16382
    assert requestor.extended_negotiation == []
    assert requestor.user_identity is None
    contexts = proposed(assoc)
    # As many contexts as pynetdicom's 120 defaults: one more for the file's own syntax,
    # so the last default class is left out.
    assert len(contexts) == 120
    classes = {sop for sop, _ in contexts}
    assert classes < pynetdicom_default_classes() and len(classes) == 119
    assert [ts for sop, ts in contexts if sop == CT_IMAGE_STORAGE] == [
        [EXPLICIT_LE],
        DEFAULT_SYNTAXES,
    ]
    assert all(ts == DEFAULT_SYNTAXES for sop, ts in contexts if sop != CT_IMAGE_STORAGE)
    (item,) = pnd_scp.received
    assert (item.sop_class, item.syntax) == (CT_IMAGE_STORAGE, EXPLICIT_LE)
    assert item.sop_instance == instance_uid(path)
    assert item.data == data_set_bytes(path)  # streamed as it is on disk


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (["-aet", "MYSCU"], lambda rq: rq.ae_title == "MYSCU"),
        (["--calling-aet", "MYSCU"], lambda rq: rq.ae_title == "MYSCU"),
        (["-aec", "YOURSCP"], lambda rq: rq.primitive.called_ae_title == "YOURSCP"),
        (["--called-aet", "YOURSCP"], lambda rq: rq.primitive.called_ae_title == "YOURSCP"),
        (["--max-pdu", "123456"], lambda rq: rq.maximum_length == 123456),
        (["-pdu", "0"], lambda rq: rq.maximum_length == 0),
    ],
)
def test_storescu_flags_reach_the_peer(
    pnd_scp: PndStoreScp, study: list[Path], args: list[str], check: Callable[[Any], bool]
) -> None:
    port = pnd_scp.start()
    proc = storescu(port, *args, str(study[0]))
    assert proc.returncode == 0, proc.stderr
    assert check(pnd_scp.wait_ended().requestor)
    assert len(pnd_scp.received) == 1


@pytest.mark.parametrize(
    ("flag", "syntax", "name"),
    [
        ("-xe", EXPLICIT_LE, "CTImageStorage.dcm"),
        ("--request-little", EXPLICIT_LE, "CTImageStorage.dcm"),
        ("-xi", IMPLICIT_LE, "CTImageStorage.dcm"),  # converted from explicit VR
        ("--request-implicit", IMPLICIT_LE, "CTImageStorage.dcm"),
        ("-xb", EXPLICIT_BE, "MRImageStorage_ExplicitVRBigEndian.dcm"),
        ("--request-big", EXPLICIT_BE, "MRImageStorage_ExplicitVRBigEndian.dcm"),
    ],
)
def test_storescu_transfer_syntax_flags(
    pnd_scp: PndStoreScp, tmp_path: Path, flag: str, syntax: str, name: str
) -> None:
    port = pnd_scp.start()
    path = PN_FILES / name
    proc = storescu(port, flag, str(path))
    assert proc.returncode == 0, proc.stderr
    contexts = proposed(pnd_scp.wait_ended())
    assert len(contexts) == 120
    assert all(ts == [syntax] for _, ts in contexts)
    (item,) = pnd_scp.received
    assert item.syntax == syntax
    received = tmp_path / "received.dcm"
    write_received(item, received)
    assert_same_instance(path, received)


def write_received(item: Received, path: Path) -> None:
    """What a peer received, as a DICOM file (pydicom writes the meta group)."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_file_meta_info

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(item.sop_class)
    meta.MediaStorageSOPInstanceUID = UID(item.sop_instance)
    meta.TransferSyntaxUID = UID(item.syntax)
    encoded = DicomBytesIO()
    write_file_meta_info(encoded, meta, enforce_standard=True)
    path.write_bytes(b"\x00" * 128 + b"DICM" + encoded.getvalue() + item.data)


@lenient_uids
def test_storescu_mixed_syntaxes_one_association(
    pnd_scp: PndStoreScp, mixed: Path, tmp_path: Path
) -> None:
    port = pnd_scp.start()
    proc = storescu(port, str(mixed))
    assert proc.returncode == 0, proc.stderr
    assoc = pnd_scp.wait_ended()
    assert pnd_scp.released == [assoc]
    assert {id(item.assoc) for item in pnd_scp.received} == {id(assoc)}
    contexts = proposed(assoc)
    for name in MIXED:
        path = mixed / name
        sop = meta_class(path)
        assert (sop, [meta_syntax(path)]) in contexts
        assert (sop, DEFAULT_SYNTAXES) in contexts
    # Every file went in its own transfer syntax, as it is on disk.
    received = {item.sop_instance: item for item in pnd_scp.received}
    assert len(received) == len(MIXED)
    for name in MIXED:
        item = received[instance_uid(mixed / name)]
        assert item.syntax == meta_syntax(mixed / name)
        assert item.data == on_the_wire(mixed / name)
    assert "Instances sent: 5 of 5" in proc.stderr
    assert "Failures:       0" in proc.stderr


@lenient_uids
def test_storescu_required_contexts(pnd_scp: PndStoreScp, mixed: Path) -> None:
    port = pnd_scp.start()
    proc = storescu(port, "-cx", str(mixed))
    assert proc.returncode == 0, proc.stderr
    wanted = []
    for name in sorted(MIXED):
        path = mixed / name
        cx = (meta_class(path), [meta_syntax(path)])
        if cx not in wanted:
            wanted.append(cx)
    assert proposed(pnd_scp.wait_ended()) == wanted
    assert len(pnd_scp.received) == len(MIXED)


def test_storescu_meta_without_sop_class(pnd_scp: PndStoreScp, tmp_path: Path) -> None:
    # The meta group lacks the SOP class: read from the data set, sent as a data set.
    path = PN_FILES / "CTImageStorage_bad_meta.dcm"
    port = pnd_scp.start()
    proc = storescu(port, "-cx", str(path))
    assert proc.returncode == 0, proc.stderr
    assert proposed(pnd_scp.wait_ended()) == [(CT_IMAGE_STORAGE, [EXPLICIT_LE])]
    (item,) = pnd_scp.received
    received = tmp_path / "received.dcm"
    write_received(item, received)
    assert_same_instance(path, received)


def test_storescu_directory_and_recurse(pnd_scp: PndStoreScp, tmp_path: Path) -> None:
    top = write_study(tmp_path / "top", 3, rows=16, columns=16, seed=2)
    nested = write_study(tmp_path / "top" / "series2", 2, rows=16, columns=16, seed=3)
    port = pnd_scp.start()
    proc = storescu(port, str(tmp_path / "top"))
    assert proc.returncode == 0, proc.stderr
    pnd_scp.wait_ended()
    assert sorted(i.sop_instance for i in pnd_scp.received) == sorted(map(instance_uid, top))

    pnd_scp.received.clear()
    pnd_scp.released.clear()
    proc = storescu(port, "-r", str(tmp_path / "top"))
    assert proc.returncode == 0, proc.stderr
    pnd_scp.wait_ended()
    assert sorted(i.sop_instance for i in pnd_scp.received) == sorted(
        map(instance_uid, top + nested)
    )
    assert "Instances sent: 5 of 5" in proc.stderr


def test_storescu_skips_files_that_are_not_dicom(pnd_scp: PndStoreScp, study: list[Path]) -> None:
    junk = study[0].parent / "README.txt"
    junk.write_text("not a DICOM file\n")
    port = pnd_scp.start()
    proc = storescu(port, str(study[0].parent))
    assert proc.returncode == 0, proc.stderr
    assert f"E: Bad DICOM file: {junk}" in proc.stderr
    assert "Skipped:        1" in proc.stderr
    assert f"Instances sent: {len(study)} of {len(study)}" in proc.stderr
    pnd_scp.wait_ended()
    assert len(pnd_scp.received) == len(study)


def test_storescu_summary_groups_statuses(pnd_scp: PndStoreScp, study: list[Path]) -> None:
    answers = {2: 0xA700, 5: 0xA700, 7: 0xC000, 9: 0xB007}
    port = pnd_scp.start(status=lambda n: answers.get(n, 0x0000))
    proc = storescu(port, str(study[0].parent))
    assert proc.returncode == 0, proc.stderr  # as pynetdicom's: statuses do not change it
    lines = proc.stderr.splitlines()
    for line in (
        "Instances sent: 12 of 12",
        "Stored:         9",
        "Warnings:       1",
        "  0xB007: 1",
        "Failures:       3",
        "  0xA700: 2",
        "  0xC000: 1",
    ):
        assert line in lines, line
    total = sum(p.stat().st_size for p in study)
    assert f"Bytes sent:     {total} ({total / 1e6:.1f} MB)" in lines
    assert any(line.startswith("Elapsed:") and line.endswith(" s") for line in lines)
    assert any("instances/s, " in line and line.endswith("MB/s") for line in lines)
    assert "\r" not in proc.stderr  # no bar without a terminal


def test_storescu_file_without_accepted_context(pnd_scp: PndStoreScp, mixed: Path) -> None:
    # -xe offers explicit VR little endian only: the JPEG 2000 file cannot go.
    port = pnd_scp.start()
    j2k = mixed / "MRImageStorage_JPG2000_Lossless.dcm"
    ct = mixed / "CTImageStorage.dcm"
    proc = storescu(port, "-xe", str(j2k), str(ct))
    assert proc.returncode == 0, proc.stderr
    assert f"E: Store failed: {j2k}" in proc.stderr
    assert "Instances sent: 1 of 2" in proc.stderr
    assert "  not sent, no accepted presentation context or not encodable: 1" in proc.stderr
    pnd_scp.wait_ended()
    assert [i.sop_instance for i in pnd_scp.received] == [instance_uid(ct)]


def test_storescu_dimse_timeout(pnd_scp: PndStoreScp, study: list[Path]) -> None:
    port = pnd_scp.start(store_blocks=True)
    proc = storescu(port, "-td", "0.5", "-d", *map(str, study[:3]))
    pnd_scp.unblock.set()
    # Like pynetdicom's storescu: the association was established, so the status is 0.
    assert proc.returncode == 0
    assert "DIMSE timeout reached while waiting for message" in proc.stderr
    assert "  no response: 1" in proc.stderr
    assert "  not sent, association ended: 2" in proc.stderr
    assert pnd_scp.wait_ended() in pnd_scp.aborted


def test_storescu_verbose(pnd_scp: PndStoreScp, study: list[Path]) -> None:
    port = pnd_scp.start()
    proc = storescu(port, "-v", str(study[0]))
    assert proc.returncode == 0
    lines = proc.stderr.splitlines()
    for text in (
        "I: Requesting Association",
        "I: Association Accepted",
        f"I: Sending file: {study[0]}",
        "I: Sending Store Request",
        "I: Received Store Response",
        "I: Releasing Association",
    ):
        assert any(line.startswith(text) for line in lines), text
    assert "Accept Parameters" not in proc.stderr
    proc = storescu(port, "-d", str(study[0]))
    assert "Accept Parameters" in proc.stderr
    assert "D: storescu.py v" in proc.stderr


def test_storescu_quiet_prints_nothing(pnd_scp: PndStoreScp, study: list[Path]) -> None:
    port = pnd_scp.start(status=lambda n: 0xA700)
    proc = storescu(port, "-q", str(study[0].parent))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    pnd_scp.wait_ended()
    assert len(pnd_scp.received) == len(study)


def test_storescu_progress_bar_on_a_terminal(pnd_scp: PndStoreScp, study: list[Path]) -> None:
    from fastdimse.apps.storescu import BAR_WIDTH

    port = pnd_scp.start()
    master, slave = os.openpty()
    proc = subprocess.Popen(
        app_cmd("storescu", "-v", LOCALHOST, str(port), str(study[0].parent)),
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(APP_TIMEOUT) == 0
    out = b"".join(chunks).decode()
    assert f"\r[{'#' * BAR_WIDTH}] 12/12 100% " in out
    assert "Instances sent: 12 of 12" in out
    # Log records erase the bar first: each starts a line or follows the erasure.
    starts = [m.start() for m in re.finditer("I: Sending file", out)]
    assert len(starts) == 12
    for start in starts:
        assert out[start - 1] == "\n" or out[start - 4 : start] == "\r\x1b[K", repr(out[:start])


# ---------------------------------------------------------------------------------------------
# storescp <- pynetdicom 3.0.4 (in process)


def test_storescp_default(servers: Callable[..., Server], pnd_scu: Any, tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    scp = servers("ours", cwd=cwd)
    path = PN_FILES / "CTImageStorage.dcm"
    pnd_scu.add_requested_context(VERIFICATION)
    pnd_scu.add_requested_context(CT_IMAGE_STORAGE, EXPLICIT_LE)  # the file's, streamed
    assoc = pnd_scu.associate(LOCALHOST, scp.port)
    assert assoc.is_established
    assert assoc.acceptor.maximum_length == 16382
    assert {str(cx.abstract_syntax) for cx in assoc.accepted_contexts} == {
        VERIFICATION,
        CT_IMAGE_STORAGE,
    }
    assert assoc.send_c_echo().Status == 0x0000
    assert assoc.send_c_store(path).Status == 0x0000
    assoc.release()
    # No -od: stored in the current directory, named as pynetdicom's storescp names it.
    stored = cwd / f"CT.{instance_uid(path)}"
    assert sorted(cwd.iterdir()) == [stored]
    assert_same_instance(path, stored)
    assert scp.output() == ""


@lenient_uids
def test_storescp_output_directory(
    servers: Callable[..., Server], pnd_scu: Any, mixed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "deeper"  # created when missing
    scp = servers("ours", "-od", str(out))
    paths = [mixed / name for name in MIXED if name != RT_IMAGE]
    assert send_with_pynetdicom(pnd_scu, scp.port, paths) == [0] * len(paths)
    prefixes = {
        "CTImageStorage.dcm": "CT",
        "MRImageStorage_ExplicitVRBigEndian.dcm": "MR",
        "MRImageStorage_JPG2000_Lossless.dcm": "MR",
        "SCImageStorage_Deflated.dcm": "SC",
    }
    names = {f"{prefixes[p.name]}.{instance_uid(p)}" for p in paths}
    assert {p.name for p in out.iterdir()} == names
    for path in paths:
        stored = out / f"{prefixes[path.name]}.{instance_uid(path)}"
        assert meta_syntax(stored) == meta_syntax(path)
        # pynetdicom streamed the file's data set: the stored bytes are the same.
        assert_same_instance(path, stored, raw=True)


def test_storescp_unknown_class_prefix_and_fsync(
    servers: Callable[..., Server], pnd_scu: Any, tmp_path: Path
) -> None:
    # A class without a pynetdicom prefix is stored as "UN.<uid>"; --fsync stores the same.
    from fastdimse.apps.storescp import MODALITY_PREFIXES

    path = next(
        p
        for p in _distinct_class_files(tmp_path / "some", 5)
        if meta_class(p) not in MODALITY_PREFIXES
    )
    out = tmp_path / "out"
    scp = servers("ours", "--fsync", "-od", str(out))
    assert send_with_pynetdicom(pnd_scu, scp.port, [path]) == [0]
    stored = out / f"UN.{instance_uid(path)}"
    assert sorted(out.iterdir()) == [stored]
    assert_same_instance(path, stored, raw=True)


@lenient_uids
def test_storescp_refuses_a_data_set_that_is_not_the_requested_instance(
    servers: Callable[..., Server], pnd_scu: Any, tmp_path: Path
) -> None:
    # Streamed from its file, pynetdicom's RT image is requested as the instance its meta
    # group names, and its data set is another: refused with 0xA900 and nothing stored
    # (pynetdicom's storescp decodes the data set and stores it under the data set's UID).
    path = PN_FILES / RT_IMAGE
    assert instance_uid(path) != dataset_uid(path)
    out = tmp_path / "out"
    scp = servers("ours", "-od", str(out))
    assert send_with_pynetdicom(pnd_scu, scp.port, [path]) == [0xA900]
    assert list(out.iterdir()) == []
    scp.stop()
    assert f"E: Could not store RI.{instance_uid(path)} (0xA900)" in scp.output()


def test_storescp_ignore(
    servers: Callable[..., Server], pnd_scu: Any, study: list[Path], tmp_path: Path
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    out = tmp_path / "out"
    scp = servers("ours", "--ignore", cwd=cwd)
    assert send_with_pynetdicom(pnd_scu, scp.port, study[:3]) == [0, 0, 0]
    assert list(cwd.iterdir()) == []
    scp2 = servers("ours", "--ignore", "-od", str(out), cwd=cwd)
    assert send_with_pynetdicom(pnd_scu, scp2.port, study[:3]) == [0, 0, 0]
    assert not out.exists() or list(out.iterdir()) == []
    assert list(cwd.iterdir()) == []


def test_storescp_overwrites_with_a_warning(
    servers: Callable[..., Server], pnd_scu: Any, study: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scp = servers("ours", "-v", "-od", str(out))
    assert send_with_pynetdicom(pnd_scu, scp.port, [study[0], study[0]]) == [0, 0]
    assert [p.name for p in out.iterdir()] == [f"CT.{instance_uid(study[0])}"]
    scp.stop()
    log = scp.output()
    assert log.count(f"I: Storing DICOM file: CT.{instance_uid(study[0])}") == 2
    assert log.count("W: DICOM file already exists, overwriting") == 1
    for text in ("I: Accepting Association", "I: Received Store Request", "Association Released"):
        assert text in log, text


def test_storescp_out_of_resources(
    servers: Callable[..., Server], pnd_scu: Any, study: list[Path], tmp_path: Path
) -> None:
    # The output directory becomes a file under the running server: 0xA700 (nothing can be
    # written there), and it keeps serving.
    out = tmp_path / "out"
    scp = servers("ours", "-od", str(out))
    # Once an association is answered the server has its handler (and has made `out`).
    pnd_scu.add_requested_context(VERIFICATION)
    echo = pnd_scu.associate(LOCALHOST, scp.port)
    assert echo.is_established
    echo.release()
    out.rmdir()
    out.write_bytes(b"")
    assert send_with_pynetdicom(pnd_scu, scp.port, study[:2]) == [0xA700, 0xA700]
    assert out.read_bytes() == b""
    out.unlink()
    out.mkdir()
    assert send_with_pynetdicom(pnd_scu, scp.port, study[:1]) == [0]
    assert [p.name for p in out.iterdir()] == [f"CT.{instance_uid(study[0])}"]


def test_storescp_output_directory_not_creatable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a directory\n")
    proc = run_app("storescp", "-ba", LOCALHOST, "-od", str(blocker / "out"), str(free_port()))
    assert proc.returncode == 1
    assert "Unable to create the output directory" in proc.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], IMPLICIT_LE),  # the library's order: implicit VR little endian first
        (["-x="], EXPLICIT_LE),
        (["--prefer-uncompr"], EXPLICIT_LE),
        (["-xe"], EXPLICIT_LE),
        (["--prefer-little"], EXPLICIT_LE),
        (["-xb"], EXPLICIT_BE),
        (["--prefer-big"], EXPLICIT_BE),
        (["-xi"], IMPLICIT_LE),
        (["--implicit"], IMPLICIT_LE),
    ],
)
def test_storescp_transfer_syntax_preference(
    servers: Callable[..., Server], pnd_scu: Any, args: list[str], expected: str
) -> None:
    scp = servers("ours", "--ignore", *args)
    pnd_scu.add_requested_context(VERIFICATION, [IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE])
    pnd_scu.add_requested_context(CT_IMAGE_STORAGE, [IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE])
    assoc = pnd_scu.associate(LOCALHOST, scp.port)
    assert assoc.is_established
    assoc.release()
    assert [str(cx.transfer_syntax[0]) for cx in assoc.accepted_contexts] == [expected] * 2


def test_storescp_no_echo_and_max_pdu(servers: Callable[..., Server], pnd_scu: Any) -> None:
    # pynetdicom's A-ASSOCIATE-AC repeats the called AE title, whatever -aet says: like
    # pynetdicom's storescp, ours shows no -aet to its peers.
    scp = servers("ours", "--no-echo", "-aet", "MYSCP", "--max-pdu", "123456")
    pnd_scu.add_requested_context(VERIFICATION)
    pnd_scu.add_requested_context(CT_IMAGE_STORAGE)
    assoc = pnd_scu.associate(LOCALHOST, scp.port)
    assert assoc.is_established
    assoc.release()
    assert [str(cx.abstract_syntax) for cx in assoc.accepted_contexts] == [CT_IMAGE_STORAGE]
    assert [str(cx.abstract_syntax) for cx in assoc.rejected_contexts] == [VERIFICATION]
    assert assoc.acceptor.maximum_length == 123456


@pytest.mark.parametrize(
    ("args", "present", "absent"),
    [
        (["-q"], [], ["I: ", "D: ", "E: "]),
        ([], [], ["I: ", "D: "]),
        (["-v"], ["I: Accepting Association", "I: Received Store Request"], ["D: "]),
        (["-d"], ["Accept Parameters", "D: storescp.py v"], []),
    ],
)
def test_storescp_log_levels(
    servers: Callable[..., Server],
    pnd_scu: Any,
    study: list[Path],
    tmp_path: Path,
    args: list[str],
    present: list[str],
    absent: list[str],
) -> None:
    scp = servers("ours", *args, "-od", str(tmp_path / "out"))
    assert send_with_pynetdicom(pnd_scu, scp.port, study[:1]) == [0]
    scp.stop(signal.SIGINT)
    log = scp.output()
    for text in present:
        assert text in log, text
    for text in absent:
        assert text not in log, text
    if args == ["-q"]:
        assert log == ""


def test_storescp_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind((LOCALHOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_app("storescp", "-ba", LOCALHOST, str(port))
    assert proc.returncode == 1
    assert f"Unable to listen on {LOCALHOST}:{port}" in proc.stderr


def test_storescp_sigint_exits_cleanly(servers: Callable[..., Server], pnd_scu: Any) -> None:
    scp = servers("ours", "--ignore")
    pnd_scu.add_requested_context(VERIFICATION)
    assoc = pnd_scu.associate(LOCALHOST, scp.port)
    assert assoc.is_established
    assoc.release()
    assert scp.stop(signal.SIGINT) == 0
    assert "Traceback" not in scp.output()


# ---------------------------------------------------------------------------------------------
# Our two apps with each other, with DCMTK and with pynetdicom's apps


def test_storescu_to_our_storescp(
    servers: Callable[..., Server], mixed: Path, study: list[Path], tmp_path: Path
) -> None:
    (mixed / RT_IMAGE).unlink()
    out = tmp_path / "out"
    scp = servers("ours", "-v", "--fsync", "-od", str(out))
    proc = storescu(scp.port, "-v", str(mixed), str(study[0].parent))
    assert proc.returncode == 0, proc.stderr
    paths = sorted(mixed.iterdir()) + study
    total = len(paths)
    assert f"Instances sent: {total} of {total}" in proc.stderr
    assert "Failures:       0" in proc.stderr
    stored = by_instance(out)
    for path in paths:
        # Streamed both ways: the files hold the bytes that were sent.
        assert_same_instance(path, stored[instance_uid(path)], raw=True, padded=True)
    scp.stop()
    assert scp.output().count("I: Received Store Request") == total


def test_storescp_concurrent_associations_with_fsync(
    servers: Callable[..., Server], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scp = servers("ours", "--fsync", "-od", str(out))
    studies = [
        write_study(tmp_path / f"study{seed}", 8, rows=32, columns=32, seed=seed)
        for seed in (11, 12, 13)
    ]
    procs = [
        subprocess.Popen(
            app_cmd("storescu", LOCALHOST, str(scp.port), str(paths[0].parent)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for paths in studies
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=APP_TIMEOUT)
        assert proc.returncode == 0, err
        assert "Instances sent: 8 of 8" in err and "Failures:       0" in err
    stored = by_instance(out)
    assert len(stored) == 24
    for path in (p for paths in studies for p in paths):
        assert_same_instance(path, stored[instance_uid(path)], raw=True)


def test_storescu_to_dcmtk_storescp(
    servers: Callable[..., Server], mixed: Path, study: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # +xa: accept every transfer syntax DCMTK knows; +B: write the data sets as received.
    scp = servers("dcmtk", "+xa", "+B", "-od", str(out))
    proc = storescu(scp.port, "-aec", "STORESCP", str(mixed), str(study[0].parent))
    assert proc.returncode == 0, proc.stderr
    paths = sorted(mixed.iterdir()) + study
    assert f"Instances sent: {len(paths)} of {len(paths)}" in proc.stderr
    assert "Failures:       0" in proc.stderr
    stored = by_instance(out)
    for path in paths:
        assert_same_instance(path, stored[instance_uid(path)], raw=True, padded=True)


def test_storescu_odd_length_deflated_to_dcmtk_storescp(
    servers: Callable[..., Server], mixed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # DCMTK refuses an odd-length fragment ("DIMSE: Odd Fragment Length"): the odd deflated
    # data set (4303 bytes) must go with its trailing NULL.
    scp = servers("dcmtk", "+xa", "+B", "-od", str(out))
    path = mixed / "SCImageStorage_Deflated.dcm"
    assert len(data_set_bytes(path)) % 2 == 1
    proc = storescu(scp.port, "-v", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "Received Store Response (Status: 0x0000" in proc.stderr
    assert_same_instance(path, by_instance(out)[instance_uid(path)], raw=True, padded=True)


def test_storescu_to_pynetdicom_storescp(
    servers: Callable[..., Server], study: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scp = servers("pynetdicom", "-od", str(out))
    proc = storescu(scp.port, "-v", str(study[0].parent))
    assert proc.returncode == 0, proc.stderr
    assert f"Instances sent: {len(study)} of {len(study)}" in proc.stderr
    for path in study:
        # pynetdicom's storescp decodes and re-encodes: equal element by element.
        assert_same_instance(path, out / f"CT.{instance_uid(path)}")


def test_dcmtk_storescu_to_storescp(
    servers: Callable[..., Server], mixed: Path, study: list[Path], tmp_path: Path
) -> None:
    # DCMTK's storescu proposes uncompressed syntaxes only (it converts the deflated file);
    # the JPEG 2000 file goes below.
    (mixed / "MRImageStorage_JPG2000_Lossless.dcm").unlink()
    out = tmp_path / "out"
    scp = servers("ours", "-v", "-od", str(out))
    paths = sorted(mixed.iterdir()) + study[:4]
    theirs = run(
        [dcmtk("storescu"), "-v", "-aec", "STORESCP", LOCALHOST, str(scp.port), *map(str, paths)],
        env=dcmtk_env(),
    )
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    assert (theirs.stdout + theirs.stderr).count("Received Store Response (Success)") == len(paths)
    stored = by_instance(out)
    for path in paths:
        # DCMTK names the data set's instance in its requests.
        stored_path = stored[dataset_uid(path)]
        assert_same_instance(path, stored_path, named_by_meta=False, skip=(TRAILING_PADDING,))
    scp.stop()
    assert scp.output().count("I: Received Store Request") == len(paths)


@pytest.fixture
def dcmtk_compressed(study: list[Path], tmp_path: Path) -> dict[str, Path]:
    """Compressed copies of study slices made by DCMTK: JPEG lossless and RLE."""
    made: dict[str, Path] = {}
    for tool, name in (("dcmcjpeg", "jpeg.dcm"), ("dcmcrle", "rle.dcm")):
        target = tmp_path / name
        done = run([dcmtk(tool), str(study[len(made)]), str(target)], env=dcmtk_env())
        assert done.returncode == 0, done.stdout + done.stderr
        made[name] = target
    return made


@pytest.mark.parametrize(("flag", "name"), [("-xs", "jpeg.dcm"), ("-xr", "rle.dcm")])
def test_dcmtk_storescu_compressed_to_storescp(
    servers: Callable[..., Server],
    dcmtk_compressed: dict[str, Path],
    tmp_path: Path,
    flag: str,
    name: str,
) -> None:
    # Files DCMTK compressed itself (pydicom's JPEG 2000 file has its encapsulated pixel
    # data as OW, which DCMTK's storescu corrects to OB on the way).
    path = dcmtk_compressed[name]
    out = tmp_path / "out"
    scp = servers("ours", "-od", str(out))
    theirs = run(
        [dcmtk("storescu"), "-v", flag, "-aec", "STORESCP", LOCALHOST, str(scp.port), str(path)],
        env=dcmtk_env(),
    )
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    assert "Received Store Response (Success)" in theirs.stdout + theirs.stderr
    stored = by_instance(out)[dataset_uid(path)]
    assert meta_syntax(stored) == meta_syntax(path)
    assert_same_instance(path, stored, raw=True)


def test_pynetdicom_storescu_to_storescp(
    servers: Callable[..., Server], mixed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scp = servers("ours", "-od", str(out))
    pynetdicom_storescu = pynetdicom_app("storescu")
    proc = run([*pynetdicom_storescu, "-v", "-cx", LOCALHOST, str(scp.port), str(mixed)])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Received Store Response (Status: 0x0000 - Success)") == len(MIXED)
    stored = by_instance(out)
    for name in MIXED:
        # pynetdicom's storescu reads each file and names its data set's instance.
        path = mixed / name
        assert_same_instance(path, stored[dataset_uid(path)], named_by_meta=False)


@pytest.mark.slow
def test_storescu_500_files_one_association(
    servers: Callable[..., Server], pnd_scp: PndStoreScp, tmp_path: Path
) -> None:
    paths = write_study(tmp_path / "big", 500)
    port = pnd_scp.start()
    proc = storescu(port, str(tmp_path / "big"))
    assert proc.returncode == 0, proc.stderr
    assoc = pnd_scp.wait_ended()
    assert pnd_scp.released == [assoc]
    assert len(pnd_scp.received) == len(paths)
    assert "Instances sent: 500 of 500" in proc.stderr
