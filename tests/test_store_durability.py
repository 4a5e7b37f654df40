"""The storage SCP's durability promise, checked in the kernel's record of what it did.

``python -m fastdimse storescp --fsync`` acknowledges a C-STORE only once its data set is in
the file's final name by a rename, the file's data synced before that rename and the
directory synced after it (a directory fsync may serve several stores: group commit). Sync
counters can say so while nothing reaches the disk; so the storescp process runs under
strace, real senders (DCMTK's storescu, our storescu app) send a few files, and for every
instance acknowledged the trace must show, in this order: the last write to its temporary
file, an fsync/fdatasync of that file, the rename to the final name, an fsync of the
directory, and only then the first byte of the C-STORE response on the association's socket
(found by decoding the P-DATA the process wrote). Without --fsync nothing in the directory is
synced, and the rename still comes before the response. The trace does not care which
language makes the calls, so this holds when the byte path moves into the Rust core.
"""

from __future__ import annotations

import bisect
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from benches.synthetic import write_study

from helpers import (
    APP_TIMEOUT,
    LOCALHOST,
    PORT,
    Server,
    app_cmd,
    assert_stored_as_sent,
    dcmtk,
    dcmtk_env,
    file_meta,
    missing_peer,
    start_server,
)
from syscall_trace import Call, find_strace, parse, stop_traced, strace_argv

FILE_SYNCS = ("fsync", "fdatasync")
RENAMES = ("rename", "renameat", "renameat2")
# Calls that write a file's data (the descriptor written: the first, or the third for
# splice and copy_file_range), and calls that send on a socket.
FILE_WRITES = ("write", "writev", "pwrite64", "pwritev", "pwritev2", "sendfile", "sendfile64")
FILE_WRITES_TO_THIRD = ("splice", "copy_file_range")
# (A response sent another way is not found, and the test fails: it never passes blind.)
SENDS = ("write", "writev", "sendto", "sendmsg")
# What strace traces: "?" where a call may not exist on the architecture (arm64 has only
# renameat2, 64-bit machines no sendfile64).
TRACED = [
    *FILE_SYNCS, "renameat2", "write", "writev", "pwrite64", "pwritev", "sendto", "sendmsg",
    *(f"?{name}" for name in ("rename", "renameat", "pwritev2", "sendfile", "sendfile64")),
    *(f"?{name}" for name in FILE_WRITES_TO_THIRD),
]  # fmt: skip

P_DATA_TF = 0x04
C_STORE_RSP = 0x8001
SUCCESS = 0x0000
# How our storescp names a stored CT (as pynetdicom's does).
CT_PREFIX = "CT."


# -- what the process sent -------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A DIMSE command set the traced process sent, and the trace line where the call that
    sent its first byte began."""

    command_field: int
    affected_sop_instance_uid: str
    status: int | None
    start: int


def commands_sent(calls: Sequence[Call]) -> list[Command]:
    """Every DIMSE command the traced process sent on a TCP socket: each socket's bytes
    joined in order and cut into PDUs, the command fragments of P-DATA-TF PDUs joined."""
    streams: dict[str, list[Call]] = {}
    for call in calls:
        fds = call.fds()
        if call.name in SENDS and fds and fds[0].startswith(("TCP", "socket:")):
            assert not call.truncated, f"raise syscall_trace.STRING_LIMIT: {call}"
            streams.setdefault(fds[0], []).append(call)
    return [command for sends in streams.values() for command in _commands(sends)]


def _commands(sends: list[Call]) -> Iterator[Command]:
    payloads = [call.payload() for call in sends]
    offsets = [0]
    for payload in payloads:
        offsets.append(offsets[-1] + len(payload))
    data = b"".join(payloads)
    position, fragments, first = 0, b"", -1
    while position + 6 <= len(data):
        end = position + 6 + int.from_bytes(data[position + 2 : position + 6], "big")
        if data[position] == P_DATA_TF:
            item = position + 6
            while item + 6 <= end:
                length = int.from_bytes(data[item : item + 4], "big")
                control = data[item + 5]
                if control & 0x01:  # a command fragment; 0x02: its last
                    if not fragments:
                        first = sends[bisect.bisect_right(offsets, position) - 1].start
                    fragments += data[item + 6 : item + 4 + length]
                    if control & 0x02:
                        yield _command(fragments, first)
                        fragments = b""
                item += 4 + length
        position = end


def _command(raw: bytes, start: int) -> Command:
    """A command set (implicit VR little endian): the fields these tests look at."""
    fields: dict[int, bytes] = {}
    position = 0
    while position + 8 <= len(raw):
        tag = int.from_bytes(raw[position : position + 2], "little") << 16
        tag |= int.from_bytes(raw[position + 2 : position + 4], "little")
        length = int.from_bytes(raw[position + 4 : position + 8], "little")
        fields[tag] = raw[position + 8 : position + 8 + length]
        position += 8 + length
    status = fields.get(0x00000900)
    return Command(
        command_field=int.from_bytes(fields.get(0x00000100, b""), "little"),
        affected_sop_instance_uid=fields.get(0x00001000, b"").rstrip(b"\0 ").decode("ascii"),
        status=None if status is None else int.from_bytes(status, "little"),
        start=start,
    )


# -- the order of the calls -------------------------------------------------------------------


@dataclass(frozen=True)
class Rename:
    """A successful rename call and its paths (absolute where strace shows the directory)."""

    call: Call
    source: str
    target: str


def renames(calls: Sequence[Call]) -> list[Rename]:
    found = []
    for call in calls:
        names = [name.decode("utf-8", "surrogateescape") for name in call.strings()]
        if call.name not in RENAMES or not call.ok or len(names) != 2:
            continue
        directories = call.fds()  # renameat's directory descriptors, unless AT_FDCWD
        if len(directories) == 2:
            names = [os.path.join(d, name) for d, name in zip(directories, names, strict=True)]
        found.append(Rename(call, names[0], names[1]))
    return found


def written_path(call: Call) -> str | None:
    """The path of the file a write-like call wrote to, if it wrote to one."""
    fds = call.fds()
    if call.name in FILE_WRITES and fds:
        return fds[0]
    if call.name in FILE_WRITES_TO_THIRD and len(fds) >= 2:
        return fds[1]
    return None


def durability_problems(calls: Sequence[Call], directory: Path, acked: list[Command]) -> list[str]:
    """What the trace lacks for each acknowledged instance to be durable before its
    response: [] when every one was written, synced, renamed, its directory synced, and
    only then answered."""
    problems = []
    where = str(directory)
    for response in acked:
        uid = response.affected_sop_instance_uid
        found = last_rename_before(calls, directory / f"{CT_PREFIX}{uid}", response.start)
        if found is None:
            problems.append(f"{uid}: no rename to its final name before its response")
            continue
        rename, source = found.call, found.source
        written = [call.end for call in calls if written_path(call) == source]
        after_writes = max(written, default=-1)
        if not any(
            call.name in FILE_SYNCS
            and call.ok
            and call.fds()[:1] == [source]
            and after_writes < call.start
            and call.end < rename.start
            for call in calls
        ):
            problems.append(
                f"{uid}: {source} not synced between its last write and its rename "
                f"(trace lines {after_writes} and {rename.start})"
            )
        if not any(
            call.name in FILE_SYNCS
            and call.ok
            and call.fds()[:1] == [where]
            and rename.end < call.start
            and call.end < response.start
            for call in calls
        ):
            problems.append(
                f"{uid}: {where} not synced between the rename and the response "
                f"(trace lines {rename.end} and {response.start})"
            )
    return problems


def last_rename_before(calls: Sequence[Call], final: Path, line: int) -> Rename | None:
    """The last successful rename to ``final`` that returned before trace line ``line``."""
    before = [r for r in renames(calls) if r.target == str(final) and r.call.end < line]
    return before[-1] if before else None


def syncs_in(calls: Sequence[Call], directory: Path) -> list[Call]:
    """The fsync/fdatasync calls on the directory or on any file in it."""
    where = str(directory)
    return [
        call
        for call in calls
        if call.name in FILE_SYNCS
        and call.fds()[:1]
        and (call.fds()[0] == where or call.fds()[0].startswith(where + os.sep))
    ]


# -- running it ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Traced:
    """What a traced storescp did while the senders ran: its calls and the C-STORE
    responses it sent."""

    directory: Path
    calls: list[Call]
    acked: list[Command]


def sender(tool: str, port: int, files: Sequence[Path]) -> subprocess.Popen[str]:
    """DCMTK's storescu ("dcmtk") or ours ("ours") sending ``files`` on one association."""
    paths = [str(path) for path in files]
    if tool == "dcmtk":
        argv = [dcmtk("storescu"), "-aec", "STORESCP", LOCALHOST, str(port), *paths]
        env: dict[str, str] | None = dcmtk_env()
    else:
        argv, env = app_cmd("storescu", LOCALHOST, str(port), *paths), None
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


@pytest.fixture
def traced_storescp(tmp_path: Path) -> Iterator[Callable[..., Traced]]:
    """``run(tools, *options)``: our storescp under strace; one sender per tool, started
    together (concurrent associations) with three small CTs each, run to their end; then
    storescp stopped and its trace read. Every file must have been acknowledged once (with
    Success) and stored as sent."""
    strace = find_strace()
    if strace is None:
        missing_peer("strace is not installed (scripts/setup.sh installs Debian's strace)")
    servers: list[Server] = []
    senders: list[subprocess.Popen[str]] = []

    def run(tools: Sequence[str], *options: str) -> Traced:
        directory = Path(os.path.realpath(tmp_path / "out"))  # as strace prints paths
        directory.mkdir()
        trace = tmp_path / "storescp.strace"
        argv = app_cmd("storescp", "-ba", LOCALHOST, PORT, "-od", str(directory), *options)
        server = start_server(
            strace_argv(strace, trace, TRACED, argv), tmp_path / "storescp.log", cwd=tmp_path
        )
        servers.append(server)
        batches = [
            write_study(tmp_path / f"in-{seed}", 3, rows=32, columns=32, seed=seed)
            for seed in range(1, len(tools) + 1)
        ]
        pairs = zip(tools, batches, strict=True)
        senders.extend(sender(tool, server.port, files) for tool, files in pairs)
        for process in senders:
            output, _ = process.communicate(timeout=APP_TIMEOUT)
            assert process.returncode == 0, output
        stop_traced(server.proc, APP_TIMEOUT)
        calls = parse(trace.read_text(errors="surrogateescape"))
        acked = [c for c in commands_sent(calls) if c.command_field == C_STORE_RSP]
        sent = {file_meta(path).sop_instance_uid: path for batch in batches for path in batch}
        assert sorted(c.affected_sop_instance_uid for c in acked) == sorted(sent)
        assert all(c.status == SUCCESS for c in acked), (acked, server.output())
        for uid, path in sent.items():
            assert_stored_as_sent(directory / f"{CT_PREFIX}{uid}", path)
        return Traced(directory, calls, acked)

    yield run
    for process in senders:
        if process.poll() is None:
            process.kill()
            process.communicate()
    for server in servers:
        if server.proc.poll() is None:
            stop_traced(server.proc, APP_TIMEOUT)
        server.kill()


@pytest.mark.parametrize(
    "tools", [["dcmtk"], ["ours"], ["dcmtk", "dcmtk", "ours"]], ids=["dcmtk", "ours", "3-at-once"]
)
def test_fsync_syncs_file_then_renames_then_syncs_directory_then_answers(
    traced_storescp: Callable[..., Traced], tools: list[str]
) -> None:
    traced = traced_storescp(tools, "--fsync")
    problems = durability_problems(traced.calls, traced.directory, traced.acked)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("tools", [["dcmtk"], ["ours"]], ids=["dcmtk", "ours"])
def test_without_fsync_nothing_is_synced_but_the_rename_comes_first(
    traced_storescp: Callable[..., Traced], tools: list[str]
) -> None:
    traced = traced_storescp(tools)
    assert syncs_in(traced.calls, traced.directory) == []
    for response in traced.acked:
        final = traced.directory / f"{CT_PREFIX}{response.affected_sop_instance_uid}"
        assert last_rename_before(traced.calls, final, response.start) is not None, final


# -- the reading of a trace, on traces written here ---------------------------------------------


def response_pdu(uid: str) -> bytes:
    """A P-DATA-TF carrying a C-STORE-RSP (Success) for ``uid``, as PS3.7 and PS3.8 lay it out."""

    def element(number: int, value: bytes) -> bytes:
        value += b"\0" * (len(value) % 2)
        return b"\0\0" + number.to_bytes(2, "little") + len(value).to_bytes(4, "little") + value

    command = element(0x0100, C_STORE_RSP.to_bytes(2, "little")) + element(0x0900, b"\0\0")
    command += element(0x1000, uid.encode())
    pdv = (len(command) + 2).to_bytes(4, "big") + b"\x01\x03" + command
    return bytes([P_DATA_TF, 0]) + len(pdv).to_bytes(4, "big") + pdv


def sent(data: bytes) -> str:
    """``data`` as strace -x prints a binary buffer."""
    return '"' + "".join(f"\\x{byte:02x}" for byte in data) + f'", {len(data)}'


SOCKET = "4<TCP:[127.0.0.1:104->127.0.0.1:5000]>"
HEAD = [
    '10 write(5</d/.t.part>, "\\x00\\x01", 2)  = 2',
    "10 fdatasync(5</d/.t.part>)               = 0",
    '10 rename("/d/.t.part", "/d/CT.1.2")      = 0',
]


def test_trace_reading_pairs_interrupted_calls_and_finds_the_response() -> None:
    pdu = response_pdu("1.2")
    calls = parse(
        "\n".join(
            [
                *HEAD,
                "11 fsync(6</d> <unfinished ...>",
                '10 write(1</log.txt>, "x\\n", 2)          = 2',
                "11 <... fsync resumed>)                   = 0",
                f"11 sendto({SOCKET}, {sent(pdu[:6])}, 0, NULL, 0) = 6",  # the PDU in two sends
                f"11 sendto({SOCKET}, {sent(pdu[6:])}, 0, NULL, 0) = {len(pdu) - 6}",
                "10 +++ exited with 0 +++",
            ]
        )
    )
    fsync = next(call for call in calls if call.name == "fsync")
    assert (fsync.start, fsync.end, fsync.fds(), fsync.returned) == (3, 5, ["/d"], 0)
    assert [call.strings() for call in calls if call.fds() == ["/log.txt"]] == [[b"x\n"]]
    assert calls[-1].fds() == [SOCKET[2:-1]] and calls[-1].payload() == pdu[6:]
    (response,) = commands_sent(calls)
    assert response == Command(C_STORE_RSP, "1.2", SUCCESS, start=6)
    assert durability_problems(calls, Path("/d"), [response]) == []


SEND = f"12 sendto({SOCKET}, {{pdu}}, 0, NULL, 0) = {{size}}"
DIRECTORY_SYNCED = "11 fsync(6</d>) = 0"
NOT_SYNCED = "/d not synced between the rename and the response"


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (  # the directory's fsync returns only after the response has begun
            [
                *HEAD,
                "11 fsync(6</d> <unfinished ...>",
                f"12 sendto({SOCKET}, {{pdu}}, 0, NULL, 0 <unfinished ...>",
                "11 <... fsync resumed>)                   = 0",
                "12 <... sendto resumed>)                  = {size}",
            ],
            NOT_SYNCED,
        ),
        ([DIRECTORY_SYNCED, *HEAD, SEND], NOT_SYNCED),
        ([*HEAD, "11 fsync(6</d>) = -1 EIO (Input/output error)", SEND], NOT_SYNCED),
        (
            [HEAD[1], HEAD[0], HEAD[2], DIRECTORY_SYNCED, SEND],
            "/d/.t.part not synced between its last write and its rename",
        ),
        ([*HEAD[:2], DIRECTORY_SYNCED, SEND], "no rename to its final name before its response"),
    ],
    ids=[
        "directory-synced-while-answering",
        "directory-synced-before-the-rename",
        "directory-sync-failed",
        "file-synced-before-its-last-write",
        "no-rename",
    ],
)
def test_trace_reading_finds_each_broken_order(lines: list[str], problem: str) -> None:
    pdu = response_pdu("1.2")
    calls = parse("\n".join(line.format(pdu=sent(pdu), size=len(pdu)) for line in lines))
    problems = durability_problems(calls, Path("/d"), commands_sent(calls))
    assert len(problems) == 1 and problem in problems[0], problems
