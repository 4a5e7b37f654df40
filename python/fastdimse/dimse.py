"""The DIMSE service provider of one association: messages in and out.

Outgoing: a DIMSE primitive becomes a command set (the core encodes it) and the
core fragments command and data set into one buffer of P-DATA-TF PDUs for the
peer's maximum PDU length, which leaves in one write (a file's data set is
read and sent in chunks instead). Incoming: the core hands over whole messages;
responses go to a queue the waiting requester reads, requests go to the
association's service classes. A C-STORE request's data set is written by the
core to a spool file as it arrives (``spool.py``) and never held in memory.
"""

from __future__ import annotations

import logging
import queue
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastdimse import _core
from fastdimse._logging import log_dimse
from fastdimse.dimse_primitives import C_STORE, data_set_of, from_command_set, to_command_set
from fastdimse.events import (
    EVT_C_STORE,
    EVT_DIMSE_RECV,
    EVT_DIMSE_SENT,
    implementation_ids,
    trigger,
)
from fastdimse.spool import (
    KEEP_IN_MEMORY,
    Spool,
    discarding_spool,
    open_spool,
    spool_directory_of,
)

if TYPE_CHECKING:
    from fastdimse.association import Association

__all__ = ["DIMSEServiceProvider"]

LOGGER = logging.getLogger("fastdimse.dimse")

# Sentinel put on the response queue when the association ends, so that a
# thread waiting for a response wakes at once instead of at the DIMSE timeout.
_ENDED = (0, None)

_C_STORE_RQ = 0x0001
# 0xA700: Out of Resources (PS3.4 B.2.3): the data set could not be stored.
_OUT_OF_RESOURCES = 0xA700


def _keep_small_data_set(primitive: Any, length: int | None) -> None:
    """Read a small spooled data set into ``primitive.DataSet`` before its file goes,
    for handlers that keep the event (see ``spool.KEEP_IN_MEMORY``)."""
    spooled = primitive.__dict__.get("_spooled")
    if spooled is None or length is None or length > KEEP_IN_MEMORY:
        return
    try:
        _ = primitive.DataSet  # reads the file once, unless already read
    except FileNotFoundError:
        return  # the handler moved it away: it stored it, and took what it needed
    del primitive.__dict__["_spooled"]


class DIMSEServiceProvider:
    """Sends and receives DIMSE messages for one association."""

    def __init__(self, assoc: Association) -> None:
        self.assoc = assoc
        self._responses: queue.Queue[tuple[int, Any]] = queue.Queue()
        # The C-STORE data set being received, if any (one at a time per association).
        self._spool: Spool | None = None
        # The last buffer sent, kept until the next one exists: freeing a large block
        # and then allocating another of the same size makes glibc trim the heap and
        # fault the pages back in, which cost ~0.4 ms per 0.5 MB message here.
        self._last_chunk: bytes | None = None

    @property
    def dimse_timeout(self) -> float | None:
        return self.assoc.dimse_timeout

    def send_msg(self, primitive: Any, context_id: int, data_set: bytes | None = None) -> None:
        """Send ``primitive`` (with its encoded data set, if any) on ``context_id``."""
        command = to_command_set(primitive)
        if data_set is None:
            stream = data_set_of(primitive, command.command_field)
            data_set = None if stream is None else stream.getvalue()
        payload = _core.fragment_message(
            self.assoc._peer_max_pdu, context_id, command.encode(), data_set
        )
        self._last_chunk = payload  # see __init__
        log_dimse(LOGGER, primitive, sent=True)
        if not self.assoc.dul.send_message(payload):
            LOGGER.warning(
                "The association ended before %s could be sent", type(primitive).__name__
            )
            return
        if self.assoc._is_bound(EVT_DIMSE_SENT):
            trigger(self.assoc, EVT_DIMSE_SENT, {"message": primitive})

    def send_file_msg(
        self,
        primitive: Any,
        context_id: int,
        path: Path,
        offset: int,
        length: int,
        *,
        pad_odd_length: bool = False,
    ) -> None:
        """Send ``primitive`` with the ``length`` bytes of ``path`` from ``offset`` as its
        data set, read and fragmented by the core a few MiB at a time (an odd
        length padded with a NULL byte with ``pad_odd_length``)."""
        command = to_command_set(primitive).encode()
        log_dimse(LOGGER, primitive, sent=True)
        with open(path, "rb") as file:
            chunks = _core.FileDataSetSender(
                self.assoc._peer_max_pdu,
                context_id,
                command,
                file.fileno(),
                offset,
                length,
                pad_odd_length=pad_odd_length,
            )
            for chunk in chunks:
                self._last_chunk = chunk
                if not self.assoc.dul.send_message(chunk):
                    LOGGER.error("The association ended while sending %s", path)
                    return
        if self.assoc._is_bound(EVT_DIMSE_SENT):
            trigger(self.assoc, EVT_DIMSE_SENT, {"message": primitive})

    def get_msg(self, block: bool = True) -> tuple[int | None, Any]:
        """The next response: (context ID, primitive), or (None, None) on timeout or end."""
        try:
            context_id, primitive = self._responses.get(block=block, timeout=self.dimse_timeout)
        except queue.Empty:
            return None, None
        if primitive is None:
            self._responses.put(_ENDED)  # every later waiter must wake too
            return None, None
        return context_id, primitive

    def data_set_destination(self, start: _core.DataSetStart) -> int | None:
        """Where the data set announced by ``start`` goes: a spool file for a
        C-STORE request, memory for anything else (identifiers, N-service lists).

        Called on the association's thread when the command set has arrived.
        """
        command = start.command
        if command.command_field != _C_STORE_RQ:
            return None
        context = self.assoc._accepted_cx.get(start.context_id)
        if context is None:
            # Refused (aborted) when complete; meanwhile it must not grow in memory.
            self._spool = discarding_spool()
            return self._spool.fd
        handler = self.assoc.get_handlers(EVT_C_STORE)[0]
        self._spool = open_spool(
            spool_directory_of(handler),
            command.affected_sop_class_uid or "",
            command.affected_sop_instance_uid or "",
            str(context.transfer_syntax[0]),
            implementation_ids(),
        )
        return self._spool.fd

    def receive(self, message: _core.Message) -> None:
        """A whole message from the peer (called on the association's thread)."""
        command = message.command
        data = message.data_set
        spool, self._spool = self._spool, None
        if spool is not None:
            spool.close()
            error = spool.error or message.data_set_error
            if error is not None:
                spool.discard()
                self._refuse_unstored(message, error)
                return
        primitive = from_command_set(command, None if data is None else bytes(data))
        if spool is not None and spool.path is not None:
            primitive._dataset_path = spool.path
            primitive.__dict__["_spooled"] = (spool.path, spool.data_offset)
        log_dimse(LOGGER, primitive, sent=False)
        if self.assoc._is_bound(EVT_DIMSE_RECV):
            trigger(self.assoc, EVT_DIMSE_RECV, {"message": primitive})
        if command.command_field & 0x8000:
            self._responses.put((message.context_id, primitive))
            return
        try:
            self.assoc._serve_request(primitive, message.context_id)
        finally:
            if spool is not None:
                _keep_small_data_set(primitive, message.data_set_length)
                spool.discard()  # unless the handler moved it into place

    def end(self) -> None:
        """The association is over: wake anyone waiting for a response, and
        delete the spool of a data set that will never be complete."""
        spool, self._spool = self._spool, None
        if spool is not None:
            spool.discard()
        self._responses.put(_ENDED)

    def _refuse_unstored(self, message: _core.Message, error: OSError) -> None:
        """Answer a C-STORE whose data set could not be written: Out of Resources."""
        command = message.command
        LOGGER.error(
            "The data set of C-STORE request %s could not be written, answering 0x%04X: %s",
            command.message_id,
            _OUT_OF_RESOURCES,
            error,
        )
        rsp = C_STORE()
        rsp.MessageIDBeingRespondedTo = command.message_id
        rsp.AffectedSOPClassUID = command.affected_sop_class_uid
        rsp.AffectedSOPInstanceUID = command.affected_sop_instance_uid
        rsp.Status = _OUT_OF_RESOURCES
        rsp.ErrorComment = (error.strerror or "data set not stored")[:64]
        self.send_msg(rsp, message.context_id)
