"""Debian's Orthanc as a real storage and Query/Retrieve peer, run in the foreground by the tests.

Each run has its own configuration, storage and index in a temporary directory,
free DICOM and HTTP ports (never the packaged service's 4242/8042), no plugins,
HTTP for this machine only and without authentication. The process is killed by
``Orthanc.stop()`` (the fixture's finalizer), whatever the test's outcome.

As a Q/R SCP (``qr_settings``) it answers C-FIND, C-MOVE and C-GET from any AE title
(Debian 12's Orthanc 1.10.1 has C-GET SCP since 1.7.0, the DicomAlwaysAllow* options since
1.9.x), moves to the modalities listed in its configuration, and is loaded over its REST API
(``Orthanc.upload``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import DEADLINE, LOCALHOST, free_port, missing_peer, port_accepts, wait_until

# The ports of the packaged service, which may be running: never ours.
SERVICE_PORTS = frozenset({4242, 8042})
ORTHANC_AET = "ORTHANC"


def orthanc_binary() -> str:
    """The Orthanc executable (Debian puts it in /usr/sbin, not always on a user's PATH)."""
    found = shutil.which("Orthanc") or shutil.which("Orthanc", path="/usr/sbin:/usr/bin")
    if found is None:
        missing_peer("Orthanc is not installed (scripts/setup.sh installs Debian's orthanc)")
    return found


def qr_settings(modalities: dict[str, tuple[str, int]]) -> dict[str, Any]:
    """Configuration for Orthanc as a Q/R SCP: C-FIND, C-GET and C-MOVE from any calling AE
    title, and ``modalities`` (AE title -> (host, port)) as the known move destinations."""
    return {
        "DicomAlwaysAllowFind": True,
        "DicomAlwaysAllowGet": True,
        "DicomAlwaysAllowMove": True,
        "DicomModalities": {
            aet.lower(): [aet, host, port] for aet, (host, port) in modalities.items()
        },
        # Its C-STORE sub-operations (C-MOVE) wait this long for our SCP.
        "DicomScuTimeout": int(DEADLINE),
        "SynchronousCMove": True,
    }


def configuration(directory: Path, dicom_port: int, http_port: int) -> dict[str, Any]:
    """An Orthanc configuration that keeps everything in ``directory``."""
    return {
        "Name": "fastdimse-interop",
        "StorageDirectory": str(directory / "storage"),
        "IndexDirectory": str(directory / "index"),
        "StorageCompression": False,
        "Plugins": [],
        "LuaScripts": [],
        "HttpServerEnabled": True,
        "HttpPort": http_port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "SslEnabled": False,
        "WebDavEnabled": False,
        "OrthancExplorerEnabled": False,
        "DicomServerEnabled": True,
        "DicomAet": ORTHANC_AET,
        "DicomPort": dicom_port,
        "DicomCheckCalledAet": False,
        "DicomAlwaysAllowEcho": True,
        "DicomAlwaysAllowStore": True,
        "DicomCheckModalityHost": False,
        "DicomModalities": {},
        "DicomModalitiesInDatabase": False,
        "OrthancPeers": {},
        # Every transfer syntax of the DICOM standard, compressed ones included.
        "AcceptedTransferSyntaxes": ["1.2.840.10008.1.*"],
        "UnknownSopClassAccepted": False,
        # Store what was received as it was received.
        "StoreDicom": True,
        "OverwriteInstances": True,
        "SaveJobs": False,
        "ConcurrentJobs": 1,
        "HttpThreadsCount": 4,
        "DicomThreadsCount": 4,
        "DicomScpTimeout": int(DEADLINE),
        "TcpNoDelay": True,
        "MetricsEnabled": False,
    }


@dataclass
class Orthanc:
    """A running Orthanc of the tests' own."""

    process: subprocess.Popen[bytes]
    directory: Path
    dicom_port: int
    http_port: int
    aet: str = ORTHANC_AET
    log: Path = field(default_factory=Path)

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.http_port}"

    def request(self, method: str, path: str, body: bytes | None = None) -> bytes:
        request = urllib.request.Request(self.url + path, data=body, method=method)
        with urllib.request.urlopen(request, timeout=DEADLINE) as response:
            data: bytes = response.read()
            return data

    def get_json(self, path: str) -> Any:
        return json.loads(self.request("GET", path))

    def alive(self) -> bool:
        try:
            return "Version" in self.get_json("/system")
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def instances(self) -> list[str]:
        found: list[str] = self.get_json("/instances")
        return found

    def lookup(self, sop_instance_uid: str) -> str | None:
        """Orthanc's identifier of the instance with this SOP Instance UID, if stored."""
        hits = json.loads(self.request("POST", "/tools/lookup", sop_instance_uid.encode()))
        for hit in hits:
            if hit.get("Type") == "Instance":
                identifier: str = hit["ID"]
                return identifier
        return None

    def download(self, identifier: str, path: Path) -> Path:
        """The stored DICOM file of instance ``identifier``, written to ``path``."""
        path.write_bytes(self.request("GET", f"/instances/{identifier}/file"))
        return path

    def upload(self, path: Path) -> str:
        """Store the DICOM file ``path`` through the REST API; Orthanc's instance identifier."""
        answer = json.loads(self.request("POST", "/instances", path.read_bytes()))
        identifier: str = answer["ID"]
        return identifier

    def delete(self, identifier: str) -> None:
        self.request("DELETE", f"/instances/{identifier}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(DEADLINE)

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def start_orthanc(directory: Path, settings: dict[str, Any] | None = None) -> Orthanc:
    """Start Orthanc in the foreground on free ports; returns once its REST API answers.

    ``settings`` override the default ``configuration`` (e.g. ``qr_settings``).
    """
    binary = orthanc_binary()
    directory.mkdir(parents=True, exist_ok=True)
    for _ in range(5):
        dicom_port, http_port = _two_free_ports()
        config = directory / "orthanc.json"
        content = {**configuration(directory, dicom_port, http_port), **(settings or {})}
        config.write_text(json.dumps(content, indent=2))
        log = directory / "orthanc.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [binary, "--no-jobs", str(config)],
                cwd=directory,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        server = Orthanc(process, directory, dicom_port, http_port, log=log)
        if _came_up(server):
            return server
        # Most likely a port clash with a process that took one meanwhile: try others.
        server.stop()
    raise RuntimeError(f"Orthanc did not start:\n{server.log_tail()}")


def _came_up(server: Orthanc) -> bool:
    """Wait until ``server`` answers on both ports (True) or exits, e.g. on a port clash."""
    exited = server.process.poll
    wait_until(lambda: exited() is not None or server.alive(), timeout=2 * DEADLINE)
    return exited() is None and server.alive() and port_accepts(server.dicom_port)


def _two_free_ports() -> tuple[int, int]:
    while True:
        first, second = free_port(), free_port()
        if first != second and not {first, second} & SERVICE_PORTS:
            return first, second
