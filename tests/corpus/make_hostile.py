#!/usr/bin/env python3
"""Writes the named corpus of hostile inputs: tests/corpus/hostile/<name>.bin and MANIFEST.tsv.

Deterministic and stdlib only: PDUs (PS3.8 9.3, Annex D; PS3.7 Annex D) and command sets
(PS3.7 Annex E, Implicit VR Little Endian) are built here by hand with `struct`, never with
fastdimse or pynetdicom, so the corpus does not share a bug with the code it tests.

Entries (MANIFEST.tsv columns: name, entry, local_max_pdu, expect, sta2, sta6, description):
- `pdu`: one whole PDU for `decode_pdu`;
- `stream`: a byte stream for a `Receiver` with the given local maximum PDU (0: no limit),
  fed and then `finish()`ed;
- `command`: a command set for `decode_command_set`.
`expect` is `ok` or the `ErrorKind::name()` of the first error.
`sta2` and `sta6` (for `pdu` and `stream` entries; `-` for commands) are what an acceptor with
a local maximum PDU of 16382 sends back when a peer sends the entry as the first bytes of a
connection (Sta2), or right after a valid association (Sta6), and then ends its stream: from
PS3.8's state table (9.2) and reasons (9.3.4, 9.3.8), see `sta2_answer` and `sta6_answer`
(`hostile_generator/answers.py`).
The first PDU of the answer, as `AC`, `RJ(result,source,reason)`, `A-ABORT(source,reason)`,
`RELEASE-RP`, `P-DATA` or `nothing`; alternatives are joined by `|`, and a name without
parentheses stands for any PDU of that type.

Hand-written entries carry the expectation read from the standard. The systematic ones
(every prefix, every length field set to 0, 1, one less, one more and the maximum) get theirs
from the model (`hostile_generator/model.py`): a small reference decoder that applies the
standard's rules in wire order with the core's documented error kinds (a length past its parent
is LengthOverflow, bytes left in an item are TrailingBytes, a body shorter than its fixed part
is LengthTooShort). Every hand-written expectation is checked against the model too, so the two
cannot disagree. The families of entries are modules of `hostile_generator/`.

Run: python3 tests/corpus/make_hostile.py [--check]  (--check compares with the files on disk)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The generator's package sits beside this script: importable whether this runs as a script
# or is loaded by path (tests/test_hostile_corpus.py).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_generator.corpus import expected_files

OUT_DIR = Path(__file__).resolve().parent / "hostile"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with the files on disk instead of writing them",
    )
    args = parser.parse_args()
    files = expected_files()
    if args.check:
        on_disk = {p.name: p.read_bytes() for p in OUT_DIR.iterdir()} if OUT_DIR.is_dir() else {}
        if on_disk != files:
            print(
                "tests/corpus/hostile is out of date: run tests/corpus/make_hostile.py",
                file=sys.stderr,
            )
            return 1
        return 0
    OUT_DIR.mkdir(exist_ok=True)
    for stale in OUT_DIR.iterdir():
        if stale.name not in files:
            stale.unlink()
    for name, data in files.items():
        (OUT_DIR / name).write_bytes(data)
    print(f"wrote {len(files) - 1} entries to {OUT_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
