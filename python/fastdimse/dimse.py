"""The DIMSE service provider of one association: messages in and out.

Outgoing: a DIMSE primitive becomes a command set (the core encodes it) and the
core fragments command and data set into one buffer of P-DATA-TF PDUs for the
peer's maximum PDU length, which leaves in one write. Incoming: the core hands
over whole messages; responses go to a queue the waiting requester reads,
requests go to the association's service classes.
"""

from __future__ import annotations

import logging
import queue
from typing import TYPE_CHECKING, Any

from fastdimse import _core
from fastdimse._logging import log_dimse
from fastdimse.dimse_primitives import data_set_of, from_command_set, to_command_set
from fastdimse.events import EVT_DIMSE_RECV, EVT_DIMSE_SENT, trigger

if TYPE_CHECKING:
    from fastdimse.association import Association

__all__ = ["DIMSEServiceProvider"]

LOGGER = logging.getLogger("fastdimse.dimse")

# Sentinel put on the response queue when the association ends, so that a
# thread waiting for a response wakes at once instead of at the DIMSE timeout.
_ENDED = (0, None)


class DIMSEServiceProvider:
    """Sends and receives DIMSE messages for one association."""

    def __init__(self, assoc: Association) -> None:
        self.assoc = assoc
        self._responses: queue.Queue[tuple[int, Any]] = queue.Queue()

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
        log_dimse(LOGGER, primitive, sent=True)
        self.assoc.dul.send_message(payload)
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

    def receive(self, message: _core.Message) -> None:
        """A whole message from the peer (called on the association's thread)."""
        command = message.command
        data = message.data_set
        primitive = from_command_set(command, None if data is None else bytes(data))
        log_dimse(LOGGER, primitive, sent=False)
        if self.assoc._is_bound(EVT_DIMSE_RECV):
            trigger(self.assoc, EVT_DIMSE_RECV, {"message": primitive})
        if command.command_field & 0x8000:
            self._responses.put((message.context_id, primitive))
        else:
            self.assoc._serve_request(primitive, message.context_id)

    def end(self) -> None:
        """The association is over: wake anyone waiting for a response."""
        self._responses.put(_ENDED)
