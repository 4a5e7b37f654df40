"""The hostile-peer suite against the archive (issue 13): ``python -m fastdimse qrscp`` as a
process, and ``Archive(...).handlers`` bound to our threaded and asyncio servers.

(a) Every entry of the named hostile corpus (tests/corpus/hostile/MANIFEST.tsv), as first
    bytes and after an association, against qrscp: the manifest's answers, a good C-FIND
    after each group of entries, and at the end the process alive, its output free of
    tracebacks, its instance directory unchanged.
(b) What an archive must refuse or answer empty (identifiers, retrieves, stores, a cancel),
    against each of the three servers, each case followed by a good C-FIND on the same
    association: the statuses PS3.4 C.4 and B.2.3 give, nothing stored by a refused
    C-STORE, nothing dead inside the server.

The cases that found bugs (a refused C-STORE deleting the instance stored before it,
C-GET/C-MOVE refusals answered with the engine's codes, an identifier cut short matched
as if whole, a 64 KiB wild card reaching the database, an A-RELEASE-RQ answered before
the requests sent ahead of it) now hold the fixes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
from pydicom import config
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from fastdimse import _core
from fastdimse._files.encoding import encode_data_set
from fastdimse.sop_class import CTImageStorage, MRImageStorage
from helpers import DEADLINE
from hostile_peer import IMPLICIT, Answer, Peer, describe
from hostile_peers_support import HOSTILE, Scp, exchange
from hostile_qrscp_support import (
    C_FIND_RQ,
    C_GET_RQ,
    C_MOVE_RQ,
    CT_CONTEXT,
    FIND_CONTEXT,
    GET_CONTEXT,
    MOVE_CONTEXT,
    MOVE_DESTINATION,
    S_FIND,
    S_GET,
    S_MOVE,
    STUDIES,
    ArchiveServer,
    asyncio_archive,
    cancel,
    destination,
    good_find,
    good_find_on,
    good_identifier,
    identifiers,
    loaded,
    qr_associate_rq,
    qrscp_process,
    request,
    responses,
    statuses,
    store_request,
    stored_files,
    threaded_archive,
)
from test_hostile_peers_corpus import ENTRIES, _mismatches, _send_entry

# pydicom warns of the hostile values it decodes (a UI with a wild card, a PN component over
# 64 characters): in the in-process servers' threads as in qrscp's process, a warning, not the
# error pytest's filterwarnings = error would make it (and the archive would answer otherwise).
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydicom.valuerep")

# Below qrscp's 10 association slots: a peer whose connection has closed may still hold one
# for a moment on the server's side.
WORKERS = 8

# -- the servers ------------------------------------------------------------------------

SERVERS: dict[str, Callable[[Path, int], AbstractContextManager[ArchiveServer]]] = {
    "qrscp": qrscp_process,
    "threaded": threaded_archive,
    "asyncio": asyncio_archive,
}


@pytest.fixture(scope="module")
def move_destination() -> Iterator[int]:
    with destination() as port:
        yield port


@pytest.fixture(scope="module", params=sorted(SERVERS))
def archive(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, move_destination: int
) -> Iterator[ArchiveServer]:
    """Each archive in turn, holding hostile_qrscp_support.STORED."""
    kind: str = request.param
    with SERVERS[kind](tmp_path_factory.mktemp(kind), move_destination) as server:
        yield loaded(server)


# -- (a) the named hostile corpus against qrscp -------------------------------------------

# The corpus in groups by the first word of their names (abort, assoc, p-data, release...):
# a good query follows each group.
GROUPS: dict[str, list[str]] = {}
for _entry in ENTRIES:
    GROUPS.setdefault(_entry["name"].split("-")[0], []).append(_entry["name"])
# (Sta6) Entries the manifest has answered by a response. qrscp binds its own C-ECHO handler,
# so the response comes from a worker, not from the reading thread as the default handler's
# does; the peer's end of stream, read meanwhile, is a transport close that aborts the
# association (PS3.8 Sta6 + Evt17: AA-4) and may drop the response. So for these entries the
# peer waits for the first answer before it ends its stream (hostile_peers_support.exchange).
ANSWERED = frozenset(e["name"] for e in ENTRIES if "P-DATA" in e["sta6"])


@dataclass
class _Port:
    """What ``exchange`` needs of the server it attacks: a new peer."""

    port: int

    def peer(self) -> Peer:
        return Peer(self.port)


def _answered_entry(port: int, data: bytes) -> tuple[Answer, int]:
    return exchange(cast(Scp, _Port(port)), data, associate=True), 0


@dataclass
class CorpusRun:
    sta2: dict[str, tuple[Answer, int]] = field(default_factory=dict)
    sta6: dict[str, tuple[Answer, int]] = field(default_factory=dict)
    good_query_failures: dict[str, str] = field(default_factory=dict)  # by group
    alive: bool = False
    problems: list[str] = field(default_factory=list)
    files_before: list[str] = field(default_factory=list)
    files_after: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory: pytest.TempPathFactory, move_destination: int) -> CorpusRun:
    """Every corpus entry as first bytes, then after an association, group by group, against a
    qrscp process of its own (so that no other case's log mixes with its output)."""
    run = CorpusRun()
    blobs = {e["name"]: (HOSTILE / f"{e['name']}.bin").read_bytes() for e in ENTRIES}
    with (
        qrscp_process(tmp_path_factory.mktemp("corpus"), move_destination) as qrscp,
        ThreadPoolExecutor(WORKERS) as pool,
    ):
        run.files_before = loaded(qrscp).files
        for group, names in GROUPS.items():
            sta2 = {n: pool.submit(_send_entry, qrscp.port, blobs[n], False) for n in names}
            sta6 = {
                n: pool.submit(_answered_entry, qrscp.port, blobs[n])
                if n in ANSWERED
                else pool.submit(_send_entry, qrscp.port, blobs[n], True)
                for n in names
            }
            run.sta2.update((n, f.result()) for n, f in sta2.items())
            run.sta6.update((n, f.result()) for n, f in sta6.items())
            try:
                good_find(qrscp.port)
            except Exception as error:  # recorded: the test says after which group
                run.good_query_failures[group] = repr(error)
        run.alive = qrscp.alive()
        run.problems = qrscp.problems()
        run.files_after = stored_files(qrscp.directory)
    return run


def test_qrscp_answers_the_corpus_as_first_bytes(corpus_run: CorpusRun) -> None:
    assert len(corpus_run.sta2) == len(ENTRIES)
    wrong = _mismatches(corpus_run.sta2, "sta2")
    assert not wrong, "\n".join(wrong[:40])


def test_qrscp_answers_the_corpus_after_association(corpus_run: CorpusRun) -> None:
    assert len(corpus_run.sta6) == len(ENTRIES)
    wrong = _mismatches(corpus_run.sta6, "sta6")
    assert not wrong, "\n".join(wrong[:40])


def test_qrscp_answers_a_good_query_after_each_group(corpus_run: CorpusRun) -> None:
    assert corpus_run.good_query_failures == {}


def test_qrscp_survives_the_corpus(corpus_run: CorpusRun) -> None:
    assert corpus_run.alive
    assert corpus_run.problems == []
    # The corpus's C-STORE (on the Verification context) stores nothing.
    assert corpus_run.files_after == corpus_run.files_before


# -- (b) what an archive must refuse ---------------------------------------------------------

GOOD_QUERY_ID = 0x7FFF  # the Message ID of the good query after each case


@contextmanager
def attack(archive: ArchiveServer) -> Iterator[Peer]:
    """A raw association to ``archive`` proposing every Q/R and storage context; after the
    case, the good query on the same association, and nothing died in the server."""
    before = len(archive.problems())
    with Peer(archive.port) as peer:
        peer.associate(qr_associate_rq())
        yield peer
        good_find_on(peer, GOOD_QUERY_ID)
    assert archive.alive()
    assert archive.problems()[before:] == []


def encoded(**keys: Any) -> bytes:
    """An identifier of ``keys`` (values that break their VR's rules included), encoded."""
    with config.disable_value_validation():
        ds = Dataset()
        for keyword, value in keys.items():
            setattr(ds, keyword, value)
        return encode_data_set(ds, IMPLICIT)


def _code(value: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    return item


STUDY = {"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": ""}
# An item of (0008,1110) Referenced Study Sequence of undefined length whose element has no
# tag: the identifier ends inside it.
_CUT_SEQUENCE = (
    bytes.fromhex("08001011ffffffff")  # the sequence, undefined length
    + bytes.fromhex("feff00e0ffffffff")  # an item, undefined length
    + bytes.fromhex("0800")  # half an element tag, then the end
)
# An element whose length runs past the end of the identifier.
_CUT_VALUE = bytes.fromhex("10001000") + (1000).to_bytes(4, "little") + b"Doe"

# The C-GET and C-MOVE handlers yield a refusal where the engine wants the number of
# sub-operations (C-GET) or the destination (C-MOVE), as pynetdicom's qrscp does.
Operation = tuple[int, str, int]
FIND: Operation = (C_FIND_RQ, S_FIND, FIND_CONTEXT)
GET: Operation = (C_GET_RQ, S_GET, GET_CONTEXT)
MOVE: Operation = (C_MOVE_RQ, S_MOVE, MOVE_CONTEXT)
OPERATIONS = [
    pytest.param(FIND, id="find"),
    pytest.param(GET, id="get"),
    pytest.param(MOVE, id="move"),
]
REFUSING_OPERATIONS = [
    pytest.param(FIND, id="find"),
    pytest.param(GET, id="get"),
    pytest.param(MOVE, id="move"),
]

# Identifiers PS3.4 C.4.1.2 (C-FIND), C.4.2.1 (C-MOVE), C.4.3.1 (C-GET) refuse with 0xA900
# Identifier Does Not Match SOP Class: our archive decides so for all of these (archive/query.py,
# archive/matching.py), and for one that does not decode (archive.py _plan).
REFUSED = [
    pytest.param(encoded(StudyInstanceUID=""), id="no level"),
    pytest.param(encoded(QueryRetrieveLevel="FRAME", StudyInstanceUID=""), id="an unknown level"),
    pytest.param(
        encoded(QueryRetrieveLevel="PATIENT", PatientID=""),
        id="the patient level under study root",
    ),
    pytest.param(encoded(**STUDY, SOPInstanceUID="1.2.3"), id="a key below the level"),
    pytest.param(
        encoded(QueryRetrieveLevel="STUDY", StudyInstanceUID="1.2.*"), id="a wild card in a UI key"
    ),
    pytest.param(encoded(**STUDY, StudyDate="2024*"), id="a wild card in a DA key"),
    pytest.param(
        encoded(**STUDY, ProcedureCodeSequence=Sequence([_code("P1"), _code("P2")])),
        id="a sequence key of two items",
    ),
    pytest.param(
        encoded(QueryRetrieveLevel="STUDY") + _CUT_SEQUENCE, id="an identifier cut in a sequence"
    ),
    pytest.param(
        encoded(QueryRetrieveLevel="STUDY") + _CUT_VALUE,
        id="an identifier whose last value is cut short",
    ),
]


def send(peer: Peer, operation: Operation, identifier: bytes, message_id: int = 1) -> list[Any]:
    command_field, model, context_id = operation
    destination = MOVE_DESTINATION if command_field == C_MOVE_RQ else None
    peer.send(
        request(
            command_field, model, message_id, identifier, context_id, move_destination=destination
        )
    )
    return responses(peer)


@pytest.mark.parametrize("operation", REFUSING_OPERATIONS)
@pytest.mark.parametrize("identifier", REFUSED)
def test_an_identifier_the_model_does_not_allow_is_refused(
    archive: ArchiveServer, identifier: bytes, operation: Operation
) -> None:
    """0xA900 and nothing else: no match, no sub-operation."""
    with attack(archive) as peer:
        assert statuses(send(peer, operation, identifier)) == [0xA900]


# Identifiers that are valid and match nothing: success, no match, no sub-operation.
MATCHES_NOTHING: dict[str, bytes] = {
    "an unknown study": encoded(QueryRetrieveLevel="STUDY", StudyInstanceUID="1.2.3.4.5"),
    # C.2.2.2.5: every date from the first to the second, of which there is none.
    "a reversed date range": encoded(**STUDY, StudyDate="20251231-20240101"),
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("case", MATCHES_NOTHING)
def test_an_identifier_that_matches_nothing_succeeds_empty(
    archive: ArchiveServer, case: str, operation: Operation
) -> None:
    with attack(archive) as peer:
        answer = send(peer, operation, MATCHES_NOTHING[case])
    assert statuses(answer) == [0x0000]
    if operation[0] != C_FIND_RQ:  # PS3.4 C.4.2.1.4, C.4.3.1.4: counters in the final response
        command = answer[0].command
        counters = (
            command.number_of_remaining_suboperations,
            command.number_of_completed_suboperations,
            command.number_of_failed_suboperations,
            command.number_of_warning_suboperations,
        )
        assert counters == (None, 0, 0, 0)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_64_kib_patient_name_wild_card_is_answered(
    archive: ArchiveServer, operation: Operation
) -> None:
    """No name holds 32,768 a's: no match, or a refusal (out of resources, unable to process),
    and nothing logged as a failure of the archive."""
    with attack(archive) as peer:
        answer = send(peer, operation, encoded(**STUDY, PatientName="*a" * 32768))
    status = statuses(answer)[-1]
    assert len(answer) == 1
    assert status in (0x0000, 0xA700, 0xA900) or 0xC000 <= status <= 0xCFFF
    assert status not in (0xC413, 0xC513)  # the engine's codes for a handler's mistake


def _huge() -> bytes:
    ds = good_identifier()
    ds.add_new(0x00091010, "OB", bytes(2 * 1024 * 1024))  # 2 MiB: over the 1 MiB cap
    return encode_data_set(ds, IMPLICIT)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_identifier_over_the_cap_is_refused(
    archive: ArchiveServer, operation: Operation
) -> None:
    """PS3.4 C.4.1.1.4 (and C.4.2, C.4.3): 0xA700 Out of Resources; the rest of the identifier
    was dropped as it came."""
    with attack(archive) as peer:
        assert statuses(send(peer, operation, _huge())) == [0xA700]


def test_a_move_to_an_unknown_destination_is_refused(archive: ArchiveServer) -> None:
    with attack(archive) as peer:
        peer.send(
            request(C_MOVE_RQ, S_MOVE, 1, encoded(**STUDY), MOVE_CONTEXT, move_destination="NOBODY")
        )
        assert statuses(responses(peer)) == [0xA801]  # PS3.4 C.4.2.1.4


def test_a_cancel_for_an_unknown_message_id_is_ignored(archive: ArchiveServer) -> None:
    """Answered by nothing; and a request that comes later under the same ID is answered in
    full (the good query attack() sends next), not cancelled in advance."""
    with attack(archive) as peer:
        peer.send(cancel(GOOD_QUERY_ID))
        peer.send(cancel(4242, MOVE_CONTEXT))


def test_a_request_then_a_release_gets_its_responses_first(archive: ArchiveServer) -> None:
    """A release is graceful: after its indication the acceptor may still send P-DATA (PS3.8
    7.2), so the C-FIND outstanding is answered in full, then the A-RELEASE-RP."""
    with Peer(archive.port) as peer:
        peer.associate(qr_associate_rq())
        find = request(C_FIND_RQ, S_FIND, 1, good_identifier())
        peer.send(find + _core.ReleaseRq().encode())
        got: list[str] = []
        while "RELEASE-RP" not in got:  # what comes up to the A-RELEASE-RP (then ARTIM)
            answer = peer.read(count=1, deadline=DEADLINE)
            got += [describe(pdu) for pdu in answer.pdus]
            if not answer.pdus:
                break
    assert got == ["P-DATA(C-FIND-RSP)"] * (len(STUDIES) + 1) + ["RELEASE-RP"]
    good_find(archive.port)


# -- C-STORE of what must not be stored --------------------------------------------------

ROOT = "1.2.826.0.1.3680043.9.7433.13.99"  # the cases' own instances
_numbers = iter(range(1, 100000))


def new_uid() -> str:
    return f"{ROOT}.{next(_numbers)}"


def instance(uid: str, sop_class: str = CTImageStorage) -> bytes:
    """A well-formed data set of ``sop_class`` under ``uid``, in a study of its own (found by
    its UID alone), of a patient the good query does not ask for."""
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = uid
    ds.StudyInstanceUID = uid
    ds.SeriesInstanceUID = f"{uid}.1"
    ds.PatientID = "HOSTILE"
    ds.PatientName = "Hostile^Store"
    ds.Modality = "CT"
    return encode_data_set(ds, IMPLICIT)


def cut(uid: str) -> bytes:
    """The data set of ``uid`` then (0020,4000) Image Comments, whose value runs past the end."""
    return instance(uid) + bytes.fromhex("20000040") + (4096).to_bytes(4, "little") + b"Cut"


# What a C-STORE must refuse, and the status PS3.4 B.2.3 gives.
STORES_REFUSED: dict[str, tuple[Callable[[str], bytes], int]] = {
    "a data set that does not parse": (cut, 0xC210),  # Cannot Understand
    "an MR data set sent as CT": (  # Data Set Does Not Match SOP Class
        lambda uid: instance(uid, MRImageStorage),
        0xA900,
    ),
}


def store(peer: Peer, uid: str, data: bytes) -> list[int]:
    """A C-STORE of ``data`` as CT Image Storage under ``uid``; its statuses."""
    peer.send(store_request(CTImageStorage, uid, data, 2, CT_CONTEXT))
    return statuses(responses(peer))


def study_found(peer: Peer, uid: str) -> list[str]:
    """The Study Instance UIDs a C-FIND for study ``uid`` returns."""
    peer.send(
        request(C_FIND_RQ, S_FIND, 3, encoded(QueryRetrieveLevel="STUDY", StudyInstanceUID=uid))
    )
    return [str(ds.StudyInstanceUID) for ds in identifiers(responses(peer))]


def contents(directory: Path) -> dict[str, bytes]:
    """Every file under the instance directory (hidden temporaries included), by name."""
    return {name: (directory / name).read_bytes() for name in stored_files(directory)}


@pytest.mark.parametrize("case", STORES_REFUSED)
def test_a_store_refused_leaves_nothing(archive: ArchiveServer, case: str) -> None:
    """Not indexed (a later C-FIND does not find it), and no file left behind."""
    make, status = STORES_REFUSED[case]
    uid = new_uid()
    files = contents(archive.directory)
    with attack(archive) as peer:
        assert store(peer, uid, make(uid)) == [status]
        assert study_found(peer, uid) == []
    assert contents(archive.directory) == files


@pytest.mark.parametrize("case", STORES_REFUSED)
def test_a_store_refused_over_a_stored_instance_keeps_it(archive: ArchiveServer, case: str) -> None:
    """A refused C-STORE of an instance stored before leaves the stored copy as it was:
    found, its file in place and unchanged."""
    make, status = STORES_REFUSED[case]
    uid = new_uid()
    with attack(archive) as peer:
        assert store(peer, uid, instance(uid)) == [0x0000]
        files = contents(archive.directory)
        assert store(peer, uid, make(uid)) == [status]
        assert study_found(peer, uid) == [uid]
    assert contents(archive.directory) == files


# -- at the end ---------------------------------------------------------------------------


def test_the_archive_still_serves(archive: ArchiveServer) -> None:
    """After every case: a good query on a new association, from our own SCU, and the
    process (qrscp) still running."""
    good_find(archive.port)
    assert archive.alive()
