"""The system calls of a process tree, traced by strace and read back in order.

For tests of promises only the kernel can confirm (a file synced before it is renamed, a
response sent after both): whichever language makes the calls, Python or the Rust core, the
trace shows them. ``strace -f -yy -x`` writes one line a call, with each descriptor's path or
socket beside it (``5</srv/out/a.dcm>``, ``4<TCP:[127.0.0.1:104->127.0.0.1:5000]>``), or
splits a call that another thread interrupts::

    101 fsync(6</srv/out> <unfinished ...>
    102 sendto(4<TCP:[...]>, "\\x04\\x00...", 170, 0, NULL, 0) = 170
    101 <... fsync resumed>) = 0

strace stops every traced thread at the entry and at the exit of each traced call and writes
its lines as it handles those stops, so the lines keep the kernel's order: a call whose
``end`` line comes before another's ``start`` line returned before that one began.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Call", "child_pids", "find_strace", "parse", "stop_traced", "strace_argv"]

# Where Debian puts strace, looked in after PATH (an unprivileged PATH may lack /usr/bin).
STRACE_FALLBACK = "/usr/bin/strace"
# Longest string strace prints whole (-s): more than any PDU the traced tests send.
STRING_LIMIT = 1 << 17

_LINE = re.compile(r"(?P<pid>\d+) +(?P<rest>.*)")
_RESUMED = re.compile(r"<\.\.\. (?P<name>\w+) resumed>(?P<rest>.*)")
_CALL = re.compile(r"(?P<name>\w+)\((?P<rest>.*)")
_UNFINISHED = " <unfinished ...>"
# "args) = result": strace pads before " = " to a column; greedy, so the last such ")".
_RETURN = re.compile(r"(?P<args>.*)\) +=(?: (?P<result>.*))?")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
# A descriptor and what strace says it is: up to the ">" that ends an argument (a socket's
# "TCP:[a->b]" holds one inside).
_FD = re.compile(r"(?<![\w.])(\d+)<(.*?)>(?=[,)}\]]|$)")
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)")
_ESCAPED = {"n": 10, "t": 9, "r": 13, "v": 11, "f": 12, "\\": 92, '"': 34}


@dataclass(frozen=True)
class Call:
    """One traced system call: its arguments and result as strace printed them, and the
    lines (0-based) where it began and where it returned."""

    pid: int
    name: str
    args: str
    result: str
    start: int
    end: int

    @property
    def returned(self) -> int | None:
        """The return value, None when strace printed none (``?``) or not a number."""
        head = self.result.split(" ", 1)[0]
        return int(head, 0) if re.fullmatch(r"-?(0x)?[0-9a-fA-F]+", head) else None

    @property
    def ok(self) -> bool:
        """The call succeeded (returned 0 or more)."""
        value = self.returned
        return value is not None and value >= 0

    def fds(self) -> list[str]:
        """What each descriptor argument is (its path, or ``TCP:[...]`` for a socket), in
        order; strings are left out, so a path inside written data is never taken for one."""
        return [match[2] for match in _FD.finditer(_STRING.sub('""', self.args))]

    def strings(self) -> list[bytes]:
        """The string arguments (paths, written data), decoded."""
        return [_unquote(match[1]) for match in _STRING.finditer(self.args)]

    @property
    def truncated(self) -> bool:
        """A string was cut short at strace's ``-s`` limit (printed ``"..."...``)."""
        return any(self.args.startswith("...", m.end()) for m in _STRING.finditer(self.args))

    def payload(self) -> bytes:
        """The bytes a write or send call wrote: its strings joined (the buffers of writev,
        sendmsg), as many as it returned."""
        data = b"".join(self.strings())
        count = self.returned
        return data[:count] if count is not None and count >= 0 else b""


def parse(text: str) -> list[Call]:
    """The calls of an ``strace -f`` trace in the order they began; lines that are not
    calls (signals, exits) are passed over, and a call never resumed (its thread killed) is
    left out."""
    calls: list[Call] = []
    pending: dict[int, tuple[str, str, int]] = {}
    for number, line in enumerate(text.splitlines()):
        matched = _LINE.fullmatch(line)
        if matched is None:
            continue
        pid, rest = int(matched["pid"]), matched["rest"]
        resumed = _RESUMED.fullmatch(rest)
        if resumed is not None:
            if pid not in pending:
                continue
            name, head, start = pending.pop(pid)
            rest = resumed["rest"]
        else:
            call = _CALL.fullmatch(rest)
            if call is None:
                continue
            name, head, start, rest = call["name"], "", number, call["rest"]
        if rest.endswith(_UNFINISHED):
            pending[pid] = (name, head + rest[: -len(_UNFINISHED)], start)
            continue
        returned = _RETURN.fullmatch(head + rest)
        if returned is not None:
            result = (returned["result"] or "").strip()
            calls.append(Call(pid, name, returned["args"], result, start, number))
    calls.sort(key=lambda call: call.start)
    return calls


def _unquote(text: str) -> bytes:
    """A string as strace prints it (``\\xNN``, ``\\n``, octal) as the bytes it stands for."""
    out = bytearray()
    position = 0
    for match in _ESCAPE.finditer(text):
        out += text[position : match.start()].encode("latin-1")
        escape = match[1]
        if escape[0] == "x":
            out.append(int(escape[1:], 16))
        elif escape[0] in "01234567":
            out.append(int(escape, 8))
        else:
            out.append(_ESCAPED[escape])
        position = match.end()
    out += text[position:].encode("latin-1")
    return bytes(out)


def find_strace() -> str | None:
    """strace's path, or None when it is not installed."""
    found = shutil.which("strace")
    if found is None and os.access(STRACE_FALLBACK, os.X_OK):
        found = STRACE_FALLBACK
    return found


def strace_argv(strace: str, trace: Path, calls: Iterable[str], argv: Sequence[str]) -> list[str]:
    """``argv`` run under strace, every thread and child traced, ``calls`` written to
    ``trace``. A name with a leading ``?`` may be missing on this architecture (``rename``
    on arm64). ``--seccomp-bpf`` stops the program only at the traced calls, so it runs
    almost at full speed."""
    return [
        strace, "-f", "--seccomp-bpf", "-yy", "-x", "-s", str(STRING_LIMIT),
        "-e", "trace=" + ",".join(calls), "-o", str(trace), *argv,
    ]  # fmt: skip


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (read from /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        # "pid (name) state ppid ...": the name may hold spaces and parentheses
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def stop_traced(strace: subprocess.Popen[bytes], timeout: float) -> None:
    """End the program strace runs and wait until strace has written the whole trace.

    strace given a command and ``-o`` ignores SIGINT and SIGTERM itself, and killing it
    would leave the program running untraced with its seccomp filter: the program gets
    the signal (SIGINT, as Ctrl-C; SIGKILL if it has not ended within ``timeout``), and
    strace exits after it."""
    for sig in (signal.SIGINT, signal.SIGKILL):
        for pid in child_pids(strace.pid):
            os.kill(pid, sig)
        try:
            strace.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            continue
    strace.kill()
    strace.wait(timeout)
