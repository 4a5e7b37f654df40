"""What the Query/Retrieve interop tests share on the SCU side: contexts, role selection, the
responses of one operation, a move destination, and the checks of what was retrieved.

Everything takes either library's objects (``qr_api``'s, or pynetdicom's for the peer), as
both have pynetdicom 3.0.4's API.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset

from helpers import LOCALHOST

from .conftest import CT_STORAGE, EXPLICIT
from .qr_data import Instance, received_uids
from .qr_scp import PENDING
from .store_data import EncodedWriter, assert_same_instance

PENDING_STATUSES = frozenset({PENDING, 0xFF01})
SUCCESS = 0x0000


def models(sop_class: Any) -> dict[str, str]:
    """The six Q/R information models of ``sop_class`` (either library's module) by name."""
    names = (
        "PatientRootQueryRetrieveInformationModelFind",
        "PatientRootQueryRetrieveInformationModelGet",
        "PatientRootQueryRetrieveInformationModelMove",
        "StudyRootQueryRetrieveInformationModelFind",
        "StudyRootQueryRetrieveInformationModelGet",
        "StudyRootQueryRetrieveInformationModelMove",
    )
    return {name: str(getattr(sop_class, name)) for name in names}


def request_qr(ae: Any, sop_class: Any) -> Any:
    """``ae`` (SCU) proposing the six Q/R models and CT Image Storage (Explicit VR LE only,
    so that retrieved files keep the originals' transfer syntax)."""
    for uid in models(sop_class).values():
        ae.add_requested_context(uid)
    ae.add_requested_context(CT_STORAGE, EXPLICIT)
    return ae


def get_roles(build_role: Any) -> list[Any]:
    """The role selection a C-GET SCU proposes: it is the SCP of CT Image Storage."""
    return [build_role(CT_STORAGE, scp_role=True)]


def support_qr(ae: Any, sop_class: Any) -> Any:
    """``ae`` (SCP) accepting the six Q/R models, and CT Image Storage with the SCU as the
    storage SCP (C-GET) or as the storage SCU (C-MOVE sub-operations it sends)."""
    for uid in models(sop_class).values():
        ae.add_supported_context(uid)
    ae.add_supported_context(CT_STORAGE, EXPLICIT, scu_role=False, scp_role=True)
    ae.add_requested_context(CT_STORAGE, EXPLICIT)
    return ae


def support_storage(ae: Any) -> Any:
    """``ae`` accepting CT Image Storage (a move destination)."""
    ae.add_supported_context(CT_STORAGE, EXPLICIT)
    return ae


@dataclass
class Outcome:
    """The responses of one C-FIND, C-GET or C-MOVE, in order: (status, identifier)."""

    responses: list[tuple[Dataset, Dataset | None]] = field(default_factory=list)

    @property
    def statuses(self) -> list[int]:
        return [int(status.get("Status", -1)) for status, _ in self.responses]

    @property
    def final(self) -> Dataset:
        """The last response's status Dataset (it must be a final one)."""
        assert self.responses, "no response at all"
        status = self.responses[-1][0]
        assert "Status" in status, "no final response (the peer aborted, or a timeout)"
        assert int(status.Status) not in PENDING_STATUSES, f"last status {status.Status:#06x}"
        return status

    @property
    def final_status(self) -> int:
        return int(self.final.Status)

    @property
    def matches(self) -> list[Dataset]:
        """The identifiers of the pending responses (C-FIND's matches)."""
        return [
            identifier
            for status, identifier in self.responses
            if int(status.get("Status", -1)) in PENDING_STATUSES and identifier is not None
        ]

    def counts(self) -> tuple[int, int, int, int]:
        """The final response's (remaining, completed, failed, warning) sub-operations."""
        final = self.final
        return (
            int(final.get("NumberOfRemainingSuboperations", 0) or 0),
            int(final.get("NumberOfCompletedSuboperations", 0) or 0),
            int(final.get("NumberOfFailedSuboperations", 0) or 0),
            int(final.get("NumberOfWarningSuboperations", 0) or 0),
        )

    def assert_success(self) -> None:
        assert self.final_status == SUCCESS, f"final status {self.final_status:#06x}"
        assert all(s in PENDING_STATUSES for s in self.statuses[:-1]), self.statuses


def collect(responses: Iterator[tuple[Dataset, Dataset | None]]) -> Outcome:
    """Every response of a send_c_find/get/move generator."""
    return Outcome(list(responses))


def find(assoc: Any, identifier: Dataset, model: str) -> Outcome:
    return collect(assoc.send_c_find(identifier, model))


def keys(outcome: Outcome, keyword: str) -> list[str]:
    """``keyword`` in each match, as text."""
    return [str(match.get(keyword, "") or "").strip() for match in outcome.matches]


class Receiver:
    """An EVT_C_STORE handler (either library) that writes each data set as received, into a
    directory that a test may change (``receive_into``): one server serves a module's tests."""

    def __init__(self, directory: Path) -> None:
        self._lock = threading.Lock()
        self.writer = EncodedWriter(directory)

    def receive_into(self, directory: Path) -> EncodedWriter:
        with self._lock:
            self.writer = EncodedWriter(directory)
            return self.writer

    def __call__(self, event: Any) -> int:
        with self._lock:
            writer = self.writer
        return writer(event)


@dataclass
class StoreServer:
    """A storage SCP on a free port (a move destination), and what it received."""

    ae: Any
    server: Any
    receiver: Receiver

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def address(self) -> tuple[str, int]:
        return (LOCALHOST, self.port)

    def stop(self) -> None:
        self.ae.shutdown()


def start_store_server(ae: Any, evt: Any, directory: Path) -> StoreServer:
    """``ae`` (either library) serving CT Image Storage on a free port, files into
    ``directory``."""
    receiver = Receiver(directory)
    support_storage(ae)
    server = ae.start_server(
        (LOCALHOST, 0), block=False, evt_handlers=[(evt.EVT_C_STORE, receiver)]
    )
    return StoreServer(ae, server, receiver)


def assert_retrieved(paths: Sequence[Path], expected: Iterable[Instance]) -> None:
    """The files received are the ``expected`` instances, each once, each the same element by
    element (Pixel Data byte for byte) and in the same transfer syntax as its original (the
    file meta a receiver wrote names the transfer syntax of the context used)."""
    wanted = {instance.sop_uid: instance for instance in expected}
    got = received_uids(paths)
    assert len(paths) == len(got), f"{len(paths)} data sets, {len(got)} distinct instances"
    assert got == set(wanted), f"missing {set(wanted) - got}, unexpected {got - set(wanted)}"
    for path in paths:
        (uid,) = received_uids([path])
        assert_same_instance(path, wanted[uid].path)


def assert_complete(
    outcome: Outcome, received: Sequence[Path], expected: Sequence[Instance], log: str = ""
) -> None:
    """A C-MOVE or C-GET ``outcome`` succeeded with one completed sub-operation per expected
    instance, and the files ``received`` are those instances (``assert_retrieved``)."""
    outcome.assert_success()
    assert outcome.counts() == (0, len(expected), 0, 0), log
    assert_retrieved(received, expected)


def written(writer: EncodedWriter) -> list[Path]:
    """The files an ``EncodedWriter`` wrote, in the order received."""
    return [path for path, _ in writer.received]
