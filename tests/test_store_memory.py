"""A 1 GB instance through our SCU and our SCP (with FileStore) in flat memory.

SCP and SCU run in their own processes; each reports its peak resident set
(VmHWM from /proc/self/status) at the end, and both stay under 150 MB while
1 GB goes from one to the other and is stored durably. Slow (a 1 GB file is
made, sent and fsynced): run by hand with ``pytest -m slow``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fastdimse._files.part10 import read_file_meta

LIMIT_KB = 150 * 1024
REPO = Path(__file__).resolve().parent.parent

PEAK = """
def peak_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")
"""

SCP = (
    PEAK
    + """
import sys
from fastdimse import AE, evt
from fastdimse.storage import FileStore

store = FileStore(sys.argv[1], fsync=True)
ae = AE("STORESCP")
ae.add_supported_context("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.1.2.1")
server = ae.start_server(
    ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, store)]
)
print(server.server_address[1], peak_kb(), flush=True)
sys.stdin.readline()
ae.shutdown()
print(peak_kb(), flush=True)
"""
)

SCU = (
    PEAK
    + """
import sys
from fastdimse import AE

ae = AE("STORESCU")
ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 300
ae.add_requested_context("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.1.2.1")
before = peak_kb()
assoc = ae.associate("127.0.0.1", int(sys.argv[1]))
status = assoc.send_c_store(sys.argv[2], status_only=True)
assoc.release()
print(status, before, peak_kb(), flush=True)
"""
)

MAKE = """
import sys
from pathlib import Path
from benches.synthetic import large_instance
large_instance(Path(sys.argv[1]), 1024)
"""


def environment() -> dict[str, str]:
    paths = [str(REPO / "python"), str(REPO)]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


@pytest.fixture
def gigabyte_file(tmp_path: Path) -> Iterator[Path]:
    """About 1 GB, made in a child process (which needs the memory, not us)."""
    path = tmp_path / "large.dcm"
    subprocess.run(
        [sys.executable, "-c", MAKE, str(path)], env=environment(), check=True, timeout=600
    )
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Path]:
    """The SCP's store directory, emptied afterwards (it will hold 1 GB)."""
    yield tmp_path / "store"
    shutil.rmtree(tmp_path / "store", ignore_errors=True)


@pytest.mark.slow
def test_1gb_instance_in_flat_memory_both_ends(store: Path, gigabyte_file: Path) -> None:
    size = gigabyte_file.stat().st_size
    assert size > 1000 * 1024 * 1024
    with subprocess.Popen(
        [sys.executable, "-c", SCP, str(store)],
        env=environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as scp:
        try:
            assert scp.stdout is not None and scp.stdin is not None
            port, scp_idle = scp.stdout.readline().split()
            scu = subprocess.run(
                [sys.executable, "-c", SCU, port, str(gigabyte_file)],
                env=environment(),
                capture_output=True,
                text=True,
                timeout=600,
                check=True,
            )
            status, scu_idle, scu_peak = (int(v) for v in scu.stdout.split())
            scp.stdin.write("done\n")
            scp.stdin.flush()
            scp_peak = int(scp.stdout.readline())
            assert scp.wait(60) == 0
        finally:
            if scp.poll() is None:
                scp.kill()
    print(
        f"SCP peak {scp_peak / 1024:.0f} MB (idle {int(scp_idle) / 1024:.0f} MB), "
        f"SCU peak {scu_peak / 1024:.0f} MB (before sending {scu_idle / 1024:.0f} MB)"
    )
    assert status == 0x0000
    (stored,) = store.iterdir()
    sent_meta = read_file_meta(gigabyte_file)
    assert stored.name == f"{sent_meta.sop_instance_uid}.dcm"
    assert stored.stat().st_size - read_file_meta(stored).data_offset == (
        size - sent_meta.data_offset
    )
    assert scp_peak < LIMIT_KB, f"SCP peak RSS {scp_peak} kB"
    assert scu_peak < LIMIT_KB, f"SCU peak RSS {scu_peak} kB"
