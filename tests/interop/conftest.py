"""Shared fixtures for the interop tests: servers on free ports, real peers, certificates.

Every server binds port 0 (or a port just freed by the kernel for DCMTK, which
cannot report the port it bound), every wait polls with a generous deadline,
and every fixture cleans up (shutdown, kill) whatever the test's outcome.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fastdimse import AE
from helpers import (
    DEADLINE,
    LOCALHOST,
    PORT,
    Server,
    dcmtk,
    dcmtk_env,
    missing_peer,
    require_module,
    wait_until,
)

if TYPE_CHECKING:
    from .dcmqrscp import Dcmqrscp
    from .orthanc import Orthanc
    from .qr_api import Library
    from .qr_data import QRData
    from .qr_scp import QRHandlers
    from .qr_support import StoreServer
    from .store_data import EncodedWriter

VERIFICATION = "1.2.840.10008.1.1"
CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
DEFLATED = "1.2.840.10008.1.2.1.99"
BIG_ENDIAN = "1.2.840.10008.1.2.2"
# A transfer syntax nobody here supports for Verification.
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
# Some SOP class storescp does not accept (it accepts Verification and storage).
MODALITY_WORKLIST_FIND = "1.2.840.10008.5.1.4.31"


def tune(ae: Any) -> Any:
    """Generous timeouts on either library's AE, so a hung peer fails the test, not CI."""
    ae.acse_timeout = DEADLINE
    ae.dimse_timeout = DEADLINE
    ae.network_timeout = DEADLINE
    return ae


# -- our own AE --------------------------------------------------------------


@dataclass
class Served:
    """A running server of ours and the AE behind it."""

    ae: AE
    server: Any
    port: int


@pytest.fixture
def our_aes() -> Iterator[Callable[[str], AE]]:
    """A factory of our AEs; each is shut down (servers stopped, associations aborted)."""
    made: list[AE] = []

    def make(title: str = "FASTDIMSE") -> AE:
        ae = AE(title)
        tune(ae)
        made.append(ae)
        return ae

    yield make
    for ae in made:
        ae.shutdown()


@pytest.fixture
def serve(our_aes: Callable[[str], AE]) -> Callable[..., Served]:
    """Start our server on a free port: ``serve(ae=None, **start_server kwargs)``.

    Without ``ae`` a fresh AE titled ``OURSCP`` supporting Verification is used.
    """

    def start(ae: AE | None = None, **kwargs: Any) -> Served:
        if ae is None:
            ae = our_aes("OURSCP")
            ae.add_supported_context(VERIFICATION)
        server = ae.start_server((LOCALHOST, 0), block=False, **kwargs)
        if server is None:
            raise RuntimeError("start_server(block=False) returned no server")
        return Served(ae, server, int(server.server_address[1]))

    return start


# -- pynetdicom ---------------------------------------------------------------


@pytest.fixture
def pn_aes() -> Iterator[Callable[[str], Any]]:
    """A factory of pynetdicom 3.0.4 AEs, each shut down at the end."""
    pynetdicom = require_module("pynetdicom")
    made: list[Any] = []

    def make(title: str = "PYNETDICOM") -> Any:
        ae = tune(pynetdicom.AE(title))
        made.append(ae)
        return ae

    yield make
    shut_down(made)


def shut_down(aes: list[Any]) -> None:
    """Shut each AE down (either library's), once its associations are over.

    Let pynetdicom's own threads finish first: shutting an acceptor down while it waits in
    Sta13 for our close (after its A-ASSOCIATE-RJ) makes its reactor raise
    InvalidEventError for Evt15 in Sta13, a pynetdicom 3.0.4 bug, in its thread.
    """
    for ae in aes:
        wait_until(lambda ae=ae: not ae.active_associations, timeout=5.0)
        ae.shutdown()


@pytest.fixture
def pn_serve(pn_aes: Callable[[str], Any]) -> Callable[..., Served]:
    """Start a pynetdicom server on a free port (``start_server(block=False)``)."""

    def start(ae: Any = None, **kwargs: Any) -> Served:
        if ae is None:
            ae = pn_aes("PNSCP")
            ae.add_supported_context(VERIFICATION)
        server = ae.start_server((LOCALHOST, 0), block=False, **kwargs)
        return Served(ae, server, int(server.server_address[1]))

    return start


# -- DCMTK storescp -----------------------------------------------------------


@pytest.fixture
def storescp(tmp_path: Path, subprocess_servers: Callable[..., Server]) -> Callable[..., int]:
    """Start DCMTK's ``storescp`` in the foreground on a free port; returns the port.

    storescp answers C-ECHO; it cannot bind port 0 and tell us, so it gets a port the
    kernel just freed (another on the rare clash). Killed at the end.
    """

    def start(*args: str) -> int:
        argv = [dcmtk("storescp"), "-od", str(tmp_path), *args, PORT]
        return subprocess_servers(argv, name="storescp", env=dcmtk_env()).port

    return start


# -- TLS ------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    """A throwaway CA and a server and a client certificate it signed (PEM files)."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    def server_context(self, *, verify_client: bool = True) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(self.ca))
        context.verify_mode = ssl.CERT_REQUIRED if verify_client else ssl.CERT_NONE
        context.load_cert_chain(str(self.server_cert), str(self.server_key))
        return context

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.ca))
        context.load_cert_chain(str(self.client_cert), str(self.client_key))
        return context


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["openssl", *args],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=60,
    )


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """Certificates made at test time with the ``openssl`` CLI (EC keys: fast)."""
    if shutil.which("openssl") is None:
        missing_peer("the openssl CLI is not installed")
    where = tmp_path_factory.mktemp("certs")
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=fastdimse test CA", cwd=where,
    )  # fmt: skip
    for name, extension in (
        ("server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        (where / f"{name}.ext").write_text(extension + "\n")
        _openssl(
            "req", "-new", *curve, "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN={name}", cwd=where,
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", f"{name}.pem",
            "-extfile", f"{name}.ext", cwd=where,
        )  # fmt: skip
    return Certificates(
        ca=where / "ca.pem",
        server_cert=where / "server.pem",
        server_key=where / "server.key",
        client_cert=where / "client.pem",
        client_key=where / "client.key",
    )


# -- storage test data ------------------------------------------------------------


@pytest.fixture(scope="session")
def store_variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test CT in each transfer syntax of ``store_data.VARIANTS`` (made once a session)."""
    from .store_data import make_variants

    return make_variants(tmp_path_factory.mktemp("store-variants"))


@pytest.fixture(scope="session")
def large_store_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 50 MB multi-frame CT, Explicit VR Little Endian (made once a session)."""
    from .store_data import make_large

    return make_large(tmp_path_factory.mktemp("store-large"))


# -- Orthanc ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    """Debian's Orthanc in the foreground, own configuration and free ports; killed at the end."""
    from .orthanc import start_orthanc

    server = start_orthanc(tmp_path_factory.mktemp("orthanc"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def odd_deflated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deflated CT with an odd-length, unpadded deflated stream, as DCMTK's dcmconv writes."""
    from .store_data import make_odd_deflated

    return make_odd_deflated(tmp_path_factory.mktemp("store-odd-deflated"))


# -- Query/Retrieve (the library under test chosen by qr_api) ------------------------------

# The move destination that Orthanc and dcmqrscp know (qr_move_destination).
QR_MOVE_AET = "QRMOVEDEST"


@pytest.fixture(scope="session")
def qr_data(tmp_path_factory: pytest.TempPathFactory) -> QRData:
    """The Q/R test archive's files (``qr_data.write_archive``), made once a session."""
    from .qr_data import write_archive

    return write_archive(tmp_path_factory.mktemp("qr-data"))


@pytest.fixture(scope="module")
def qr_move_destination(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    """A storage SCP of the library under test, titled QR_MOVE_AET, for a whole module: the
    peers' configurations name it. A test points it at a directory of its own."""
    from .qr_api import UNDER_TEST
    from .qr_support import start_store_server

    ae = tune(UNDER_TEST.AE(QR_MOVE_AET))
    try:
        server = start_store_server(ae, UNDER_TEST.evt, tmp_path_factory.mktemp("qr-moved"))
        yield server
    finally:
        ae.shutdown()


@pytest.fixture(scope="module")
def orthanc_qr(
    tmp_path_factory: pytest.TempPathFactory, qr_data: QRData, qr_move_destination: StoreServer
) -> Iterator[Orthanc]:
    """Orthanc as a Q/R SCP holding ``qr_data``, with ``qr_move_destination`` as a modality."""
    from .orthanc import qr_settings, start_orthanc

    settings = qr_settings({QR_MOVE_AET: qr_move_destination.address})
    server = start_orthanc(tmp_path_factory.mktemp("orthanc-qr"), settings)
    try:
        for path in qr_data.paths:
            server.upload(path)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def dcmqrscp(
    tmp_path_factory: pytest.TempPathFactory, qr_data: QRData, qr_move_destination: StoreServer
) -> Iterator[Dcmqrscp]:
    """DCMTK's dcmqrscp holding ``qr_data``, with ``qr_move_destination`` in its HostTable."""
    from .dcmqrscp import start_dcmqrscp

    destinations = {QR_MOVE_AET: qr_move_destination.address}
    server = start_dcmqrscp(tmp_path_factory.mktemp("dcmqrscp"), qr_data.paths, destinations)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def qr_aes() -> Iterator[Callable[..., Any]]:
    """``make(title, library=None)``: an AE of the library under test (or of ``library``), tuned;
    each is shut down at the end, once its associations are over."""
    from .qr_api import UNDER_TEST

    made: list[Any] = []

    def make(title: str, library: Library | None = None) -> Any:
        ae = tune((library or UNDER_TEST).AE(title))
        made.append(ae)
        return ae

    yield make
    shut_down(made)


@pytest.fixture
def qr_connect(qr_aes: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """``connect(port, called, library=None, receiver=None)``: an established association of
    an SCU proposing the Q/R models and CT Image Storage; with an EVT_C_STORE ``receiver``,
    it proposes the storage SCP role (C-GET). Released at the end if still established."""
    from .qr_api import UNDER_TEST
    from .qr_support import get_roles, request_qr

    opened: list[Any] = []

    def connect(
        port: int, called: str, library: Library | None = None, receiver: Any = None
    ) -> Any:
        lib = library or UNDER_TEST
        ae = request_qr(qr_aes("QRSCU", lib), lib.sop_class)
        options: dict[str, Any] = {}
        if receiver is not None:
            options["ext_neg"] = get_roles(lib.build_role)
            options["evt_handlers"] = [(lib.evt.EVT_C_STORE, receiver)]
        assoc = ae.associate(LOCALHOST, port, ae_title=called, **options)
        assert assoc.is_established, f"{lib.name} could not associate with {called}"
        opened.append(assoc)
        return assoc

    yield connect
    for assoc in opened:
        if assoc.is_established:
            assoc.release()


@pytest.fixture
def qr_serve(qr_aes: Callable[..., Any]) -> Callable[..., int]:
    """``serve(handlers, library=None)``: a Q/R SCP titled QRSCP answering with ``handlers``
    (a ``qr_scp.QRHandlers``) on a free port; the port."""
    from .qr_api import UNDER_TEST
    from .qr_support import support_qr

    def serve(handlers: QRHandlers, library: Library | None = None) -> int:
        lib = library or UNDER_TEST
        ae = support_qr(qr_aes("QRSCP", lib), lib.sop_class)
        server = ae.start_server(
            (LOCALHOST, 0), block=False, evt_handlers=handlers.handlers(lib.evt)
        )
        return int(server.server_address[1])

    return serve


# -- the archives as Q/R peers ---------------------------------------------------------

UNABLE_TO_PROCESS = 0xC000
MOVE_DESTINATION_UNKNOWN = 0xA801


@dataclass(frozen=True)
class ArchivePeer:
    """A running archive: where it listens and its AE title."""

    name: str
    port: int
    aet: str
    log_tail: Callable[[], str]
    # The status of a C-MOVE to an AE title it does not know: dcmqrscp answers PS3.4's
    # 0xA801 (Move Destination unknown), Orthanc 1.10.1 a plain 0xC000 (Unable to process).
    unknown_destination: int


@pytest.fixture(params=["orthanc", "dcmqrscp"])
def archive(request: pytest.FixtureRequest) -> ArchivePeer:
    """Each archive in turn (module-scoped servers holding ``qr_data``)."""
    server: Any
    if request.param == "orthanc":
        server = request.getfixturevalue("orthanc_qr")
        return ArchivePeer(
            "orthanc", server.dicom_port, server.aet, server.log_tail, UNABLE_TO_PROCESS
        )
    server = request.getfixturevalue("dcmqrscp")
    return ArchivePeer(
        "dcmqrscp", server.port, server.aet, server.log_tail, MOVE_DESTINATION_UNKNOWN
    )


@pytest.fixture
def moved(qr_move_destination: StoreServer, tmp_path: Path) -> EncodedWriter:
    """What the move destination receives during this test."""
    return qr_move_destination.receiver.receive_into(tmp_path / "moved")
