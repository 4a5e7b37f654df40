"""An in-memory Query/Retrieve SCP's handlers, for either library (pynetdicom's contracts).

``Archive`` is the one place that matches identifiers against records (PS3.4 C.2.2.2, the
small subset the tests use: universal, single value, list of UIDs, wildcards, date ranges),
and ``QRHandlers`` wraps it in EVT_C_FIND, EVT_C_GET and EVT_C_MOVE handlers. An archive of
fastdimse's own is meant to replace both later.

The handlers can be slow on purpose (``wait_for_cancel``): before each match after the
first they wait, up to a deadline, for the peer's C-CANCEL, so a cancel test is synchronised
by the protocol, not by sleeps. Should the C-CANCEL never come they wait only once.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import Tag

from helpers import DEADLINE, wait_until

# The unique key of each Query/Retrieve level.
UNIQUE_KEYS = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}
QUERY_RETRIEVE_LEVEL = Tag("QueryRetrieveLevel")
SPECIFIC_CHARACTER_SET = Tag("SpecificCharacterSet")
NOT_MATCHED = frozenset({QUERY_RETRIEVE_LEVEL, SPECIFIC_CHARACTER_SET})

PENDING = 0xFF00
CANCEL = 0xFE00
# How long a slow handler waits for the C-CANCEL before it gives up and carries on: well
# inside the SCU's DIMSE timeout (DEADLINE), so a C-CANCEL that never comes shows as every
# match delivered, not as an aborted association.
CANCEL_WAIT = DEADLINE / 3


def value_matches(vr: str, wanted: str, have: str) -> bool:
    """Whether the record's value ``have`` matches the key's value ``wanted`` (not empty)."""
    if vr == "UI":
        return have in wanted.split("\\")
    if vr in ("DA", "TM", "DT") and "-" in wanted:
        low, high = wanted.split("-", 1)
        return (not low or low <= have) and (not high or have <= high)
    if "*" in wanted or "?" in wanted:
        return fnmatch.fnmatchcase(have, wanted)
    return have == wanted


class Archive:
    """Records (pydicom Datasets, whole instances or index entries) to match identifiers to."""

    def __init__(self, records: Sequence[Dataset]) -> None:
        self.records = list(records)

    def matching(self, identifier: Dataset) -> list[Dataset]:
        """Every record that matches each non-empty key of ``identifier``."""
        keys = [
            (element.tag, element.VR, _text(element.value))
            for element in identifier
            if element.tag not in NOT_MATCHED and element.VR != "SQ" and _text(element.value)
        ]
        return [
            record
            for record in self.records
            if all(
                tag in record and value_matches(vr, wanted, _text(record[tag].value))
                for tag, vr, wanted in keys
            )
        ]

    def find(self, identifier: Dataset) -> list[Dataset]:
        """The C-FIND responses to ``identifier``: one per distinct unique key of its level,
        each holding the keys asked for with the record's values."""
        level = str(identifier.get("QueryRetrieveLevel", ""))
        unique = UNIQUE_KEYS.get(level)
        if unique is None:
            return []
        responses: dict[str, Dataset] = {}
        for record in self.matching(identifier):
            key = str(record.get(unique, ""))
            if key not in responses:
                responses[key] = _response(identifier, record)
        return list(responses.values())

    def retrieve(self, identifier: Dataset) -> list[Dataset]:
        """The records a C-GET or C-MOVE of ``identifier`` sends (level-independent: every record
        matching the keys given)."""
        if str(identifier.get("QueryRetrieveLevel", "")) not in UNIQUE_KEYS:
            return []
        return self.matching(identifier)


def _text(value: Any) -> str:
    """An element's value as it is encoded, without padding: several values joined by "\\"."""
    if value is None:
        return ""
    if isinstance(value, MultiValue | list | tuple):
        return "\\".join(str(item).strip() for item in value)
    return str(value).strip()


def _response(identifier: Dataset, record: Dataset) -> Dataset:
    response = Dataset()
    for element in identifier:
        if element.tag in NOT_MATCHED or element.VR == "SQ":
            continue
        if element.tag in record:
            found = record[element.tag]
            response.add(DataElement(found.tag, found.VR, found.value))
        else:
            response.add(DataElement(element.tag, element.VR, None))
    response.QueryRetrieveLevel = identifier.QueryRetrieveLevel
    return response


@dataclass
class QRHandlers:
    """EVT_C_FIND, EVT_C_GET and EVT_C_MOVE handlers answering from an ``Archive``.

    ``destinations`` maps a move destination's AE title to its (address, port); an unknown one
    gets (None, None), which the service class answers with 0xA801.
    """

    archive: Archive
    destinations: dict[str, tuple[str, int]] = field(default_factory=dict)
    wait_for_cancel: bool = False
    identifiers: list[Dataset] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    _waited_in_vain: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handlers(self, evt: Any) -> list[tuple[Any, Any]]:
        """The (event, handler) pairs for ``evt`` (either library's module)."""
        return [(evt.EVT_C_FIND, self.find), (evt.EVT_C_GET, self.get), (evt.EVT_C_MOVE, self.move)]

    def find(self, event: Any) -> Iterator[tuple[int, Dataset | None]]:
        query = self._record(event)
        for number, response in enumerate(self.archive.find(query)):
            if self._cancelled(event, number, "find"):
                yield CANCEL, None
                return
            yield PENDING, response

    def get(self, event: Any) -> Iterator[Any]:
        matches = self.archive.retrieve(self._record(event))
        yield len(matches)
        yield from self._send(event, matches, "get")

    def move(self, event: Any) -> Iterator[Any]:
        query = self._record(event)
        destination = self.destinations.get(str(event.move_destination or "").strip())
        if destination is None:
            yield None, None
            return
        yield destination
        matches = self.archive.retrieve(query)
        yield len(matches)
        yield from self._send(event, matches, "move")

    def _send(self, event: Any, matches: list[Dataset], service: str) -> Iterator[Any]:
        for number, instance in enumerate(matches):
            if self._cancelled(event, number, service):
                yield CANCEL, None
                return
            yield PENDING, instance

    def _record(self, event: Any) -> Dataset:
        query: Dataset = event.identifier
        with self._lock:
            self.identifiers.append(query)
        return query

    def _cancelled(self, event: Any, number: int, service: str) -> bool:
        # pynetdicom's is_cancelled is true once per C-CANCEL (it consumes the request).
        if self.wait_for_cancel and number > 0 and not self._waited_in_vain:
            cancelled = wait_until(lambda: event.is_cancelled, timeout=CANCEL_WAIT)
            self._waited_in_vain = not cancelled
        else:
            cancelled = bool(event.is_cancelled)
        if cancelled:
            with self._lock:
                self.cancelled.append(service)
        return cancelled
