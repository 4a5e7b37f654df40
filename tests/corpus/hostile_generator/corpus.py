"""The whole corpus: every family of entries, each checked against the model, and the files
they make (<name>.bin and MANIFEST.tsv).
"""

from __future__ import annotations

from .answers import (
    sta2_answer,
    sta6_answer,
)
from .associate_cases import (
    associate_cases,
)
from .command_cases import (
    command_cases,
)
from .pdu_cases import (
    fixed_pdu_cases,
    pdata_cases,
)
from .systematic import (
    Entry,
    length_mutations,
    truncations,
)


def all_entries() -> list[Entry]:
    entries: list[Entry] = []
    for group in (
        truncations(),
        length_mutations(),
        associate_cases(),
        fixed_pdu_cases(),
        pdata_cases(),
        command_cases(),
    ):
        entries.extend(group)
    for e in entries:
        modelled = e.model()
        if not e.expect:
            e.expect = modelled
        elif e.expect != modelled:
            raise SystemExit(f"{e.name}: hand-written {e.expect} but the model says {modelled}")
    names = [e.name for e in entries]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise SystemExit(f"duplicate names: {sorted(duplicates)}")
    return sorted(entries, key=lambda e: e.name)


def manifest(entries: list[Entry]) -> str:
    lines = ["name\tentry\tlocal_max_pdu\texpect\tsta2\tsta6\tdescription"]
    for e in entries:
        local_max = e.local_max_pdu if e.entry == "stream" else 0
        # A command set alone is never sent on a connection.
        sta2, sta6 = (
            ("-", "-") if e.entry == "command" else (sta2_answer(e.data), sta6_answer(e.data))
        )
        lines.append(
            f"{e.name}\t{e.entry}\t{local_max}\t{e.expect}\t{sta2}\t{sta6}\t{e.description}"
        )
    return "\n".join(lines) + "\n"


def expected_files() -> dict[str, bytes]:
    entries = all_entries()
    files = {f"{e.name}.bin": e.data for e in entries}
    files["MANIFEST.tsv"] = manifest(entries).encode()
    return files
