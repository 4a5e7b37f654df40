"""The apps `python -m fastdimse echoscu|echoscp` against real peers.

Peers: pynetdicom 3.0.4 in this process (its AE records what our apps negotiated) and as the
subprocesses `python -m pynetdicom echoscu|echoscp`, DCMTK's `echoscu` and `storescp` (which
answers C-ECHO), and our two apps with each other. Checked: every option pynetdicom's own app
tests check, exit statuses, and what -q/-v/-d/-ll print.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import (
    APP_TIMEOUT,
    PORT,
    UNRESOLVABLE_HOST,
    Server,
    app_cmd,
    dcmtk,
    dcmtk_env,
    free_port,
    pynetdicom_app,
    run,
    run_app,
)

VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_BE = "1.2.840.10008.1.2.2"


# ---------------------------------------------------------------------------------------------
# Helpers


class Recorder:
    """Events seen by an in-process pynetdicom peer, with a wait that needs no sleeps."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.events: list[Any] = []
        self._cond = threading.Condition()

    def add(self, name: str, event: Any) -> None:
        with self._cond:
            self.names.append(name)
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, *names: str) -> None:
        """Wait until the recorded names start with `names`, in that order."""
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.names) >= len(names), timeout=APP_TIMEOUT)
        assert ok, f"peer saw {self.names}, expected {list(names)}"
        assert self.names[: len(names)] == list(names)

    def last(self, name: str) -> Any:
        return next(
            e for n, e in zip(reversed(self.names), reversed(self.events), strict=True) if n == name
        )


class PndScp:
    """pynetdicom 3.0.4's AE as an SCP in this process."""

    def __init__(self) -> None:
        self.servers: list[Any] = []
        self.rec = Recorder()
        self.release_echo = threading.Event()  # set to let a blocked echo handler answer

    def start(
        self,
        *,
        contexts: tuple[str, ...] = (VERIFICATION,),
        echo_blocks: bool = False,
        require_called_aet: bool = False,
    ) -> int:
        from pynetdicom import AE, evt

        def on_echo(event: Any) -> int:
            self.rec.add("C-ECHO", event)
            if echo_blocks:
                self.release_echo.wait(APP_TIMEOUT)
            return 0x0000

        handlers: list[Any] = [
            (evt.EVT_C_ECHO, on_echo),
            (evt.EVT_RELEASED, lambda e: self.rec.add("RELEASED", e)),
            (evt.EVT_ABORTED, lambda e: self.rec.add("ABORTED", e)),
        ]
        ae = AE()  # AE title "PYNETDICOM"
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 5
        ae.require_called_aet = require_called_aet
        for cx in contexts:
            ae.add_supported_context(cx)
        port = free_port()
        self.servers.append(
            ae.start_server(("127.0.0.1", port), block=False, evt_handlers=handlers)
        )
        return port

    def close(self) -> None:
        self.release_echo.set()
        for server in self.servers:
            server.shutdown()


@pytest.fixture
def pnd_scp() -> Iterator[PndScp]:
    scp = PndScp()
    yield scp
    scp.close()


@pytest.fixture
def pnd_scu() -> Iterator[Any]:
    """A pynetdicom 3.0.4 AE requesting Verification with its default transfer syntaxes."""
    from pynetdicom import AE

    ae = AE()
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 5
    ae.add_requested_context(VERIFICATION)
    yield ae
    ae.shutdown()


@pytest.fixture
def servers(tmp_path: Path, subprocess_servers: Callable[..., Server]) -> Callable[..., Server]:
    """start(kind, *args): our echoscp, pynetdicom's, or DCMTK's storescp on a free port."""

    def start(kind: str, *args: str) -> Server:
        env = None
        if kind == "ours":
            argv = app_cmd("echoscp", PORT, *args)
        elif kind == "pynetdicom":
            argv = pynetdicom_app("echoscp", PORT, *args)
        elif kind == "storescp":
            out_dir = tmp_path / "storescp-out"
            out_dir.mkdir(exist_ok=True)
            argv, env = [dcmtk("storescp"), "-od", str(out_dir), *args, PORT], dcmtk_env()
        else:
            raise ValueError(kind)
        return subprocess_servers(argv, name=kind, env=env)

    return start


# ---------------------------------------------------------------------------------------------
# python -m fastdimse


def test_main_without_app_prints_usage() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fastdimse"], capture_output=True, text=True, timeout=APP_TIMEOUT
    )
    assert proc.returncode == 2
    assert "usage: python -m fastdimse <app>" in proc.stderr
    assert "echoscu" in proc.stderr and "echoscp" in proc.stderr


def test_main_unknown_app() -> None:
    proc = run_app("nosuchscu")
    assert proc.returncode == 2
    assert "unknown app 'nosuchscu'" in proc.stderr
    assert "echoscu" in proc.stderr


def test_main_help_and_version() -> None:
    from fastdimse._core import __version__

    proc = subprocess.run(
        [sys.executable, "-m", "fastdimse", "--help"],
        capture_output=True,
        text=True,
        timeout=APP_TIMEOUT,
    )
    assert proc.returncode == 0
    assert "echoscp" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "fastdimse", "--version"],
        capture_output=True,
        text=True,
        timeout=APP_TIMEOUT,
    )
    assert (proc.returncode, proc.stdout) == (0, f"{__version__}\n")


def test_main_lists_only_existing_apps() -> None:
    import importlib

    from fastdimse.__main__ import APPS, usage

    for name, (module, _) in APPS.items():
        assert callable(importlib.import_module(module).main)
        assert f"  {name}  " in usage()


# ---------------------------------------------------------------------------------------------
# echoscu: arguments and output without a peer


@pytest.mark.parametrize(
    ("app", "args"),
    [
        ("echoscu", ["127.0.0.1", "11112", "--version"]),
        ("echoscp", ["11112", "--version"]),
        # pynetdicom's apps want their positional arguments even then; ours do not.
        ("echoscu", ["--version"]),
        ("echoscp", ["--version"]),
    ],
)
def test_flag_version(app: str, args: list[str]) -> None:
    from fastdimse._core import __version__

    proc = run_app(app, *args)
    assert (proc.returncode, proc.stdout) == (0, f"{app}.py v{__version__}\n")


@pytest.mark.parametrize("app", ["echoscu", "echoscp"])
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
        "default: 16382",
    ]
    own = {
        "echoscu": [
            "usage: echoscu [options] addr port",
            "-aet [a]etitle, --calling-aet",
            "-aec [a]etitle, --called-aet",
            "-xe, --request-little",
            "-xb, --request-big",
            "-xi, --request-implicit",
            "--repeat [n]umber",
            "--abort",
            "Transfer Syntax Options:",
            "Miscellaneous Options:",
        ],
        "echoscp": [
            "usage: echoscp [options] port",
            "-aet [a]etitle, --ae-title",
            "-ba [a]ddress, --bind-address",
            "-x=, --prefer-uncompr",
            "-xe, --prefer-little",
            "-xb, --prefer-big",
            "-xi, --implicit",
            "Preferred Transfer Syntaxes:",
        ],
    }[app]
    for text in [*common, *own, "Parameters:", "General Options:", "Network Options:"]:
        assert text in proc.stdout, text


@pytest.mark.parametrize(
    ("app", "args"),
    [
        ("echoscu", ["-q", "-v", "127.0.0.1", "11112"]),
        ("echoscu", ["-v", "-d", "127.0.0.1", "11112"]),
        ("echoscp", ["-v", "-d", "11112"]),
        ("echoscp", ["-q", "-d", "11112"]),
        ("echoscu", ["127.0.0.1"]),
        ("echoscu", ["127.0.0.1", "notaport"]),
        ("echoscu", ["-xe", "-xi", "127.0.0.1", "11112"]),
        ("echoscp", ["-xe", "-xb", "11112"]),
        ("echoscp", ["-ll", "loud", "11112"]),
    ],
)
def test_bad_arguments_exit_2(app: str, args: list[str]) -> None:
    proc = run_app(app, *args)
    assert proc.returncode == 2
    assert f"usage: {app} [options]" in proc.stderr


def test_echoscu_no_peer() -> None:
    proc = run_app("echoscu", "127.0.0.1", str(free_port()))
    assert proc.returncode == 1
    assert "Association request failed: unable to connect to remote" in proc.stderr
    assert "TCP Initialisation Error" in proc.stderr
    assert proc.stdout == ""


def test_echoscu_no_peer_quiet() -> None:
    proc = run_app("echoscu", "-q", "127.0.0.1", str(free_port()))
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")


def test_echoscu_unresolvable_host() -> None:
    """One error line in the apps' format, no traceback, status 1."""
    proc = run_app("echoscu", UNRESOLVABLE_HOST, "104")
    assert proc.returncode == 1
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"E: Cannot resolve the peer's address '{UNRESOLVABLE_HOST}': "), line
    proc = run_app("echoscu", "-q", UNRESOLVABLE_HOST, "104")
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")


def test_echoscu_log_level_critical_hides_errors() -> None:
    proc = run_app("echoscu", "-ll", "critical", "127.0.0.1", str(free_port()))
    assert (proc.returncode, proc.stderr) == (1, "")


# ---------------------------------------------------------------------------------------------
# echoscu -> pynetdicom 3.0.4 (in process): what it negotiates and sends


def test_echoscu_default(pnd_scp: PndScp) -> None:
    port = pnd_scp.start()
    proc = run_app("echoscu", "127.0.0.1", str(port))
    assert proc.returncode == 0
    assert proc.stdout == proc.stderr == ""  # errors only, by default
    pnd_scp.rec.wait_for("C-ECHO", "RELEASED")
    requestor = pnd_scp.rec.last("RELEASED").assoc.requestor
    assert requestor.ae_title == "ECHOSCU"
    assert requestor.primitive.called_ae_title == "ANY-SCP"
    assert requestor.maximum_length == 16382
    assert requestor.extended_negotiation == []
    assert requestor.sop_class_common_extended == {}
    assert requestor.sop_class_extended == {}
    assert requestor.user_identity is None
    contexts = requestor.primitive.presentation_context_definition_list
    assert len(contexts) == 1
    assert contexts[0].abstract_syntax == VERIFICATION
    assert contexts[0].transfer_syntax == [EXPLICIT_LE, IMPLICIT_LE, DEFLATED_LE, EXPLICIT_BE]


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (["-aet", "MYSCU"], lambda rq: rq.ae_title == "MYSCU"),
        (["--calling-aet", "MYSCU"], lambda rq: rq.ae_title == "MYSCU"),
        (["-aec", "YOURSCP"], lambda rq: rq.primitive.called_ae_title == "YOURSCP"),
        (["--called-aet", "YOURSCP"], lambda rq: rq.primitive.called_ae_title == "YOURSCP"),
        (["--max-pdu", "123456"], lambda rq: rq.maximum_length == 123456),
        (["-pdu", "0"], lambda rq: rq.maximum_length == 0),
        (["-xe"], lambda rq: _proposed(rq) == [EXPLICIT_LE]),
        (["--request-little"], lambda rq: _proposed(rq) == [EXPLICIT_LE]),
        (["-xb"], lambda rq: _proposed(rq) == [EXPLICIT_BE]),
        (["--request-big"], lambda rq: _proposed(rq) == [EXPLICIT_BE]),
        (["-xi"], lambda rq: _proposed(rq) == [IMPLICIT_LE]),
        (["--request-implicit"], lambda rq: _proposed(rq) == [IMPLICIT_LE]),
    ],
)
def test_echoscu_flags_reach_the_peer(
    pnd_scp: PndScp, args: list[str], check: Callable[[Any], bool]
) -> None:
    port = pnd_scp.start()
    proc = run_app("echoscu", *args, "127.0.0.1", str(port))
    assert proc.returncode == 0, proc.stderr
    pnd_scp.rec.wait_for("C-ECHO", "RELEASED")
    assert check(pnd_scp.rec.last("RELEASED").assoc.requestor)


def _proposed(requestor: Any) -> list[str]:
    (context,) = requestor.primitive.presentation_context_definition_list
    assert context.abstract_syntax == VERIFICATION
    return [str(uid) for uid in context.transfer_syntax]


def test_echoscu_repeat(pnd_scp: PndScp) -> None:
    port = pnd_scp.start()
    proc = run_app("echoscu", "--repeat", "3", "127.0.0.1", str(port))
    assert proc.returncode == 0
    pnd_scp.rec.wait_for("C-ECHO", "C-ECHO", "C-ECHO", "RELEASED")


def test_echoscu_abort(pnd_scp: PndScp) -> None:
    port = pnd_scp.start()
    proc = run_app("echoscu", "-v", "--abort", "127.0.0.1", str(port))
    assert proc.returncode == 0
    # The answer came: a peer that never answers also ends in an abort (at the DIMSE timeout).
    assert "I: Received Echo Response (Status: 0x0000 - Success)" in proc.stderr, proc.stderr
    assert "DIMSE timeout" not in proc.stderr
    pnd_scp.rec.wait_for("C-ECHO", "ABORTED")


def test_echoscu_quiet_when_no_context_accepted(pnd_scp: PndScp) -> None:
    port = pnd_scp.start(contexts=(CT_IMAGE_STORAGE,))
    proc = run_app("echoscu", "-q", "127.0.0.1", str(port))
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "")


def test_echoscu_rejected(pnd_scp: PndScp) -> None:
    port = pnd_scp.start(require_called_aet=True)
    proc = run_app("echoscu", "127.0.0.1", str(port))  # called AE title ANY-SCP: rejected
    assert proc.returncode == 1
    assert "E: Association Rejected" in proc.stderr
    assert "Called AE title not recognised" in proc.stderr
    proc = run_app("echoscu", "-aec", "PYNETDICOM", "127.0.0.1", str(port))
    assert (proc.returncode, proc.stderr) == (0, "")


def test_echoscu_verbose(pnd_scp: PndScp) -> None:
    port = pnd_scp.start()
    proc = run_app("echoscu", "-v", "127.0.0.1", str(port))
    assert proc.returncode == 0
    lines = proc.stderr.splitlines()
    for text in (
        "I: Requesting Association",
        "I: Association Accepted",
        "I: Sending Echo Request",
        "I: Received Echo Response",
        "I: Releasing Association",
    ):
        assert any(line.startswith(text) for line in lines), text
    assert "Accept Parameters" not in proc.stderr
    assert not any(line.startswith("D: ") for line in lines)
    assert proc.stdout == ""


@pytest.mark.parametrize("args", [["-d"], ["--debug"], ["-ll", "debug"]])
def test_echoscu_debug(pnd_scp: PndScp, args: list[str]) -> None:
    port = pnd_scp.start()
    proc = run_app("echoscu", *args, "127.0.0.1", str(port))
    assert proc.returncode == 0
    assert "Releasing Association" in proc.stderr
    assert "Accept Parameters" in proc.stderr
    assert "D: echoscu.py v" in proc.stderr


def test_echoscu_log_level_info_is_verbose(pnd_scp: PndScp) -> None:
    port = pnd_scp.start()
    proc = run_app("echoscu", "-ll", "info", "127.0.0.1", str(port))
    assert proc.returncode == 0
    assert "I: Requesting Association" in proc.stderr
    assert "Accept Parameters" not in proc.stderr


def test_echoscu_acse_timeout() -> None:
    # A peer that accepts the connection and never answers the A-ASSOCIATE-RQ.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        proc = run_app("echoscu", "-ta", "0.5", "127.0.0.1", str(port))
    assert proc.returncode == 1
    assert "ACSE timeout reached while waiting for response" in proc.stderr


def test_echoscu_dimse_timeout(pnd_scp: PndScp) -> None:
    port = pnd_scp.start(echo_blocks=True)
    proc = run_app("echoscu", "-td", "0.5", "-d", "127.0.0.1", str(port))
    pnd_scp.release_echo.set()
    # Like pynetdicom's echoscu: the association was established, so the status is 0.
    assert proc.returncode == 0
    assert "DIMSE timeout reached while waiting for message" in proc.stderr
    pnd_scp.rec.wait_for("C-ECHO", "ABORTED")


# ---------------------------------------------------------------------------------------------
# echoscu -> DCMTK storescp, pynetdicom's echoscp, our echoscp


def test_echoscu_to_dcmtk_storescp(servers: Callable[..., Server]) -> None:
    scp = servers("storescp", "-d")
    proc = run_app(
        "echoscu",
        "-v",
        "--repeat",
        "2",
        "-aet",
        "MYSCU",
        "-aec",
        "STORESCP",
        "127.0.0.1",
        str(scp.port),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Received Echo Response (Status: 0x0000") == 2
    scp.stop()
    log = scp.output()
    assert log.count("Received Echo Request") == 2
    assert "Calling Application Name:    MYSCU" in log
    assert "Called Application Name:     STORESCP" in log


@pytest.mark.parametrize("args", [["-xe"], ["-xb"], ["-xi"], ["--abort"], ["-pdu", "4096"]])
def test_echoscu_flags_to_dcmtk_storescp(servers: Callable[..., Server], args: list[str]) -> None:
    scp = servers("storescp", "-v")
    proc = run_app("echoscu", "-v", *args, "127.0.0.1", str(scp.port))
    assert proc.returncode == 0, proc.stderr
    assert "Received Echo Response (Status: 0x0000" in proc.stderr


def test_echoscu_to_pynetdicom_echoscp(servers: Callable[..., Server]) -> None:
    scp = servers("pynetdicom", "-v")
    proc = run_app("echoscu", "-v", "127.0.0.1", str(scp.port))
    assert proc.returncode == 0, proc.stderr
    assert "Received Echo Response (Status: 0x0000" in proc.stderr
    scp.stop()
    assert "Received Echo Request" in scp.output()


def test_echoscu_to_our_echoscp(servers: Callable[..., Server]) -> None:
    scp = servers("ours", "-v")
    proc = run_app("echoscu", "-v", "--repeat", "3", "127.0.0.1", str(scp.port))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Received Echo Response (Status: 0x0000") == 3
    scp.stop()
    out = scp.output()
    assert out.count("Received Echo Request") == 3
    assert "Association Released" in out


# ---------------------------------------------------------------------------------------------
# echoscp <- pynetdicom 3.0.4 (in process), DCMTK echoscu, pynetdicom's echoscu


def test_echoscp_default(servers: Callable[..., Server], pnd_scu: Any) -> None:
    scp = servers("ours")
    assoc = pnd_scu.associate("127.0.0.1", scp.port)
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    assert assoc.acceptor.maximum_length == 16382
    assert [str(cx.abstract_syntax) for cx in assoc.accepted_contexts] == [VERIFICATION]
    assert scp.proc.poll() is None  # still serving
    assert scp.stop() != 0  # killed by SIGTERM, as pynetdicom's
    assert scp.output() == ""  # errors only, by default


def test_echoscp_serves_several_associations(servers: Callable[..., Server], pnd_scu: Any) -> None:
    scp = servers("ours")
    for _ in range(3):
        assoc = pnd_scu.associate("127.0.0.1", scp.port)
        assert assoc.is_established
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()


def test_echoscp_quiet(servers: Callable[..., Server], pnd_scu: Any) -> None:
    scp = servers("ours", "-q")
    assoc = pnd_scu.associate("127.0.0.1", scp.port)
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    scp.stop()
    assert scp.output() == ""


def test_echoscp_verbose(servers: Callable[..., Server], pnd_scu: Any) -> None:
    scp = servers("ours", "-v")
    assoc = pnd_scu.associate("127.0.0.1", scp.port)
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    scp.stop()
    out = scp.output()
    assert "I: Accepting Association" in out
    assert "I: Received Echo Request" in out
    assert "I: Association Released" in out
    assert "D: " not in out


def test_echoscp_debug(servers: Callable[..., Server], pnd_scu: Any) -> None:
    scp = servers("ours", "-d")
    assoc = pnd_scu.associate("127.0.0.1", scp.port)
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    scp.stop()
    out = scp.output()
    assert "D: echoscp.py v" in out
    assert "Accept Parameters" in out
    assert "I: Received Echo Request" in out


@pytest.mark.parametrize("flag", ["--max-pdu", "-pdu"])
def test_echoscp_max_pdu(servers: Callable[..., Server], pnd_scu: Any, flag: str) -> None:
    scp = servers("ours", flag, "123456")
    assoc = pnd_scu.associate("127.0.0.1", scp.port)
    assert assoc.is_established
    assoc.release()
    assert assoc.acceptor.maximum_length == 123456


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], IMPLICIT_LE),
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
def test_echoscp_transfer_syntax_preference(
    servers: Callable[..., Server], pnd_scu: Any, args: list[str], expected: str
) -> None:
    # The requestor proposes implicit, explicit LE, deflated, explicit BE: the acceptor's
    # preference decides.
    scp = servers("ours", *args)
    assoc = pnd_scu.associate("127.0.0.1", scp.port)
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()
    assert str(assoc.accepted_contexts[0].transfer_syntax[0]) == expected


def test_echoscp_implicit_only_rejects_other_syntaxes(
    servers: Callable[..., Server], pnd_scu: Any
) -> None:
    from pynetdicom import AE

    scp = servers("ours", "-xi")
    ae = AE()
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 5
    ae.add_requested_context(VERIFICATION, [EXPLICIT_LE])
    try:
        # No context accepted: pynetdicom as requestor then aborts the association.
        assert not ae.associate("127.0.0.1", scp.port).is_established
    finally:
        ae.shutdown()
    assoc = pnd_scu.associate("127.0.0.1", scp.port)  # the server still serves
    assert assoc.is_established
    assert str(assoc.accepted_contexts[0].transfer_syntax[0]) == IMPLICIT_LE
    assoc.release()


@pytest.mark.parametrize("flag", ["-ba", "--bind-address"])
def test_echoscp_bind_address(servers: Callable[..., Server], pnd_scu: Any, flag: str) -> None:
    scp = servers("ours", flag, "127.0.0.1")
    assoc = pnd_scu.associate("127.0.0.1", scp.port)
    assert assoc.is_established
    assoc.release()


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback")
def test_echoscp_bind_ipv6(subprocess_servers: Callable[..., Server]) -> None:
    scp = subprocess_servers(app_cmd("echoscp", "-ba", "::1", PORT), name="scp6", host="::1")
    proc = run_app("echoscu", "-v", "::1", str(scp.port))
    assert proc.returncode == 0, proc.stderr
    assert "Received Echo Response (Status: 0x0000" in proc.stderr


def test_echoscp_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_app("echoscp", "-ba", "127.0.0.1", str(port))
    assert proc.returncode == 1
    assert f"Unable to listen on 127.0.0.1:{port}" in proc.stderr


def test_echoscp_sigint_exits_cleanly(servers: Callable[..., Server], pnd_scu: Any) -> None:
    scp = servers("ours")
    assoc = pnd_scu.associate("127.0.0.1", scp.port)
    assert assoc.is_established
    assoc.release()
    assert scp.stop(signal.SIGINT) == 0
    assert "Traceback" not in scp.output()


@pytest.mark.parametrize("args", [[], ["-xi"], ["-xe"], ["--max-pdu", "4096"]])
def test_dcmtk_echoscu_to_echoscp(servers: Callable[..., Server], args: list[str]) -> None:
    scp = servers("ours", "-v", *args)
    theirs = subprocess.run(
        [dcmtk("echoscu"), "-v", "--repeat", "3", "-aec", "ECHOSCP", "127.0.0.1", str(scp.port)],
        capture_output=True,
        text=True,
        timeout=APP_TIMEOUT,
        env=dcmtk_env(),
        check=False,
    )
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    assert (theirs.stdout + theirs.stderr).count("Received Echo Response (Success)") == 3
    scp.stop()
    out = scp.output()
    assert out.count("Received Echo Request") == 3
    assert "Association Released" in out


def test_pynetdicom_echoscu_to_echoscp(servers: Callable[..., Server]) -> None:
    scp = servers("ours", "-v")
    proc = run(pynetdicom_app("echoscu", "-v", "--repeat", "2", "127.0.0.1", str(scp.port)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Received Echo Response (Status: 0x0000 - Success)") == 2
    scp.stop()
    assert scp.output().count("Received Echo Request") == 2


# ---------------------------------------------------------------------------------------------
# The early listening socket reaches the server


class _FakeAE:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def start_server(self, address: Any, **kwargs: Any) -> None:
        self.calls.append((address, kwargs))

    def shutdown(self) -> None:
        pass


def test_serve_forever_hands_over_the_listening_socket() -> None:
    import logging

    from fastdimse.apps.common import listen_early, serve_forever

    sock = listen_early("127.0.0.1", 0, logging.getLogger("fastdimse.test"))
    try:
        ae = _FakeAE()
        handler = (object(), lambda event: 0)
        serve_forever(ae, sock, ("127.0.0.1", 104), [handler])
        assert ae.calls == [
            (
                ("127.0.0.1", 104),
                {"block": True, "evt_handlers": [handler], "_listen_socket": sock},
            )
        ]
        assert sock.fileno() != -1  # still open: the server owns it now
    finally:
        sock.close()
