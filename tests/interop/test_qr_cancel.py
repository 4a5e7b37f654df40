"""C-CANCEL during a long C-FIND and a long C-GET, from each side, with pynetdicom as the peer.

Our SCU cancels against pynetdicom's SCP, and pynetdicom's SCU against our SCP. The SCP's
handlers (``qr_scp.QRHandlers(wait_for_cancel=True)``) are slow on purpose: before each match
or sub-operation after the first they wait for ``event.is_cancelled``, so the SCU's C-CANCEL,
sent on the first pending response, is what lets them go on; no sleep decides the outcome.
The final status must be Cancel (0xFE00) and fewer than all matches or instances must have
arrived. DCMTK's findscu --cancel against our SCP is in ``test_qr_dcmtk.py``. "Ours" is the
library ``qr_api`` chooses (FASTDIMSE_QR_REFERENCE=pynetdicom: pynetdicom both sides).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset

from helpers import require_module

from .qr_api import UNDER_TEST, Library, library
from .qr_data import QRData, find_records, study_query, study_retrieve
from .qr_scp import CANCEL, Archive, QRHandlers
from .qr_support import PENDING_STATUSES, Outcome, models, written
from .store_data import EncodedWriter

require_module("pynetdicom")
PYNETDICOM = library("pynetdicom")
SIDES = {
    "ours-cancels-pynetdicom": (UNDER_TEST, PYNETDICOM),
    "pynetdicom-cancels-ours": (PYNETDICOM, UNDER_TEST),
}
SIDE = pytest.mark.parametrize(("scu", "scp"), list(SIDES.values()), ids=list(SIDES))
# Not 1, so that a C-CANCEL routed by anything but its Message ID Being Responded To shows.
MESSAGE_ID = 7
FIND_MATCHES = 40


def cancel_on_first_pending(
    assoc: Any, responses: Iterator[tuple[Dataset, Dataset | None]], model: str
) -> Outcome:
    """Every response, the C-CANCEL sent as soon as the first pending one arrives."""
    outcome = Outcome()
    for status, identifier in responses:
        outcome.responses.append((status, identifier))
        pending = int(status.get("Status", -1)) in PENDING_STATUSES
        if pending and len(outcome.responses) == 1:
            assoc.send_c_cancel(MESSAGE_ID, query_model=model)
    return outcome


@SIDE
def test_cancel_find(
    scu: Library, scp: Library, qr_serve: Callable[..., int], qr_connect: Callable[..., Any]
) -> None:
    handlers = QRHandlers(Archive(find_records(FIND_MATCHES, patients=4)), wait_for_cancel=True)
    port = qr_serve(handlers, scp)
    model = models(scu.sop_class)["StudyRootQueryRetrieveInformationModelFind"]
    assoc = qr_connect(port, "QRSCP", scu)
    finding = assoc.send_c_find(study_query(), model, msg_id=MESSAGE_ID)
    outcome = cancel_on_first_pending(assoc, finding, model)
    assert outcome.final_status == CANCEL
    assert 1 <= len(outcome.matches) < FIND_MATCHES
    assert handlers.cancelled == ["find"]
    assert assoc.is_established


@SIDE
def test_cancel_get(
    scu: Library,
    scp: Library,
    qr_serve: Callable[..., int],
    qr_connect: Callable[..., Any],
    qr_data: QRData,
    tmp_path: Path,
) -> None:
    handlers = QRHandlers(Archive(qr_data.datasets()), wait_for_cancel=True)
    port = qr_serve(handlers, scp)
    model = models(scu.sop_class)["StudyRootQueryRetrieveInformationModelGet"]
    receiver = EncodedWriter(tmp_path / "got")
    assoc = qr_connect(port, "QRSCP", scu, receiver=receiver)
    every_study = study_retrieve(*qr_data.studies())
    getting = assoc.send_c_get(every_study, model, msg_id=MESSAGE_ID)
    outcome = cancel_on_first_pending(assoc, getting, model)
    assert outcome.final_status == CANCEL
    total = len(qr_data.instances)
    received = written(receiver)
    assert 1 <= len(received) < total
    remaining, completed, failed, warning = outcome.counts()
    assert (completed, failed, warning) == (len(received), 0, 0)
    assert remaining == total - len(received)
    assert handlers.cancelled == ["get"]
    assert assoc.is_established
