"""An association between the local AE and a peer: pynetdicom's ``Association``.

The threaded driver of ``AssociationCore``: each association is one thread
that reads its socket (``dul.UpperLayer``) and delivers the indications; the
requests from the peer are performed by the AE's worker threads, so that the
reader reads on (responses, C-CANCEL, aborts) while handlers run. The user's
thread sends requests (``send_c_echo``, or several at once within the
negotiated window with ``submit_c_store``), releases and aborts. When the
connection ends, the association leaves its AE's list at once, so its slot is
free for the next peer.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from fastdimse import _core
from fastdimse import events as evt
from fastdimse._dimse.pending import PendingResponse
from fastdimse._dimse.primitives.c_services import C_ECHO, C_FIND, C_GET, C_MOVE
from fastdimse._dimse.provider import Request
from fastdimse._engine.core import AssociationCore
from fastdimse._files.encoding import new_dataset
from fastdimse._io.threads import UpperLayer
from fastdimse._services import n_scu
from fastdimse._services.qr_scu import QueryRequest, prepare_query
from fastdimse._services.store_scu import StoreRequest, prepare_c_store, prepare_file_message
from fastdimse._upper.service_user import ServiceUser
from fastdimse._upper.state_table import Event, Indication, State

if TYPE_CHECKING:
    import socket
    import ssl  # only for annotations: a process without TLS never loads ssl

    from pydicom.dataset import Dataset

    from fastdimse._dimse.provider import FileMessage
    from fastdimse._dimse.responses import ThreadResponses
    from fastdimse._engine.ae_base import AEBase as ApplicationEntity
    from fastdimse._engine.server_base import ServerBase

__all__ = ["Association", "ServiceUser"]

LOGGER = logging.getLogger("fastdimse.assoc")

VERIFICATION_SOP_CLASS = "1.2.840.10008.1.1"

# send_c_store_many with an unlimited window: answers kept before the first is taken.
_UNLIMITED_IN_FLIGHT = 512


def _answered(entry: tuple[Any, PendingResponse], status_only: bool) -> tuple[Any, Any]:
    item, pending = entry
    return item, pending.status() if status_only else pending.result()


class Association(AssociationCore, threading.Thread):
    """One association, as requestor (``AE.associate``) or acceptor (a server's peer)."""

    def __init__(self, ae: ApplicationEntity, mode: str) -> None:
        threading.Thread.__init__(self, daemon=True)
        AssociationCore.__init__(self, ae, mode)
        self.dul: UpperLayer
        self._pending_accept: tuple[socket.socket, ssl.SSLContext | None] | None = None
        # Draining (``_drain``): the peer's requests handed to a worker and not
        # yet finished (their response sent), and whether the end is decided.
        self._drain_lock = threading.Lock()
        self._draining = False
        self._ending = False
        self._in_service = 0

    def request(self, connect: Callable[[], socket.socket]) -> None:
        """Connect, send the A-ASSOCIATE-RQ and wait for the answer (ACSE timeout)."""
        rq = self._associate_rq()
        self.dul.request_association(rq, connect)
        if self.dul.closed.is_set() and not self._negotiated.is_set():
            self.is_aborted = True
            return
        self.start()
        # The connection aborts when the ACSE timeout passes (Indication.TIMED_OUT).
        self.dul.wait(self._negotiated)

    def send_c_echo(self, msg_id: int = 1) -> Dataset:
        """Send a C-ECHO request; the response's status elements, or an empty Dataset."""
        return self.submit_c_echo(msg_id).result()  # type: ignore[no-any-return]

    def submit_c_echo(self, msg_id: int | None = None) -> PendingResponse:
        """Send a C-ECHO request without waiting for its response (see ``submit_c_store``)."""
        self._check_established("C-ECHO")
        context = self._get_valid_context(VERIFICATION_SOP_CLASS, "", "scu")
        primitive = C_ECHO()
        primitive.MessageID = self._message_id(msg_id)
        primitive.AffectedSOPClassUID = VERIFICATION_SOP_CLASS
        return self._submit(
            primitive.MessageID,
            lambda: self.dimse.send_msg(primitive, int(context.context_id or 0)),
        )

    def send_c_store(
        self,
        dataset: str | os.PathLike[str] | Dataset,
        msg_id: int = 1,
        priority: int = 2,
        originator_aet: str | None = None,
        originator_id: int | None = None,
        *,
        status_only: bool = False,
    ) -> Any:
        """Send a C-STORE request and wait for its response (PS3.4 B, PS3.7 9.1.1).

        ``dataset`` is a pydicom Dataset (with file meta giving its transfer
        syntax) or the path of a DICOM file. A file whose transfer syntax has an
        accepted context is streamed from disk unchanged; otherwise it is read
        and converted where pydicom can. The most exact accepted context for the
        SOP class is used; ``ValueError`` before anything is sent when none fits.

        Returns the response's status elements as a Dataset (an empty one if no
        response came), as pynetdicom; with ``status_only`` just the status as
        an int (-1 if no response came), which skips building the Dataset.
        """
        pending = self.submit_c_store(dataset, msg_id, priority, originator_aet, originator_id)
        return pending.status() if status_only else pending.result()

    def submit_c_store(
        self,
        dataset: str | os.PathLike[str] | Dataset,
        msg_id: int | None = None,
        priority: int = 2,
        originator_aet: str | None = None,
        originator_id: int | None = None,
    ) -> PendingResponse:
        """Send a C-STORE request and return at once with its ``PendingResponse``.

        Up to the negotiated asynchronous operations window (PS3.7 D.3.3.3)
        requests may be outstanding; beyond it this waits for a response to
        free a slot. Each request gets a Message ID that no outstanding request
        uses (``msg_id`` to choose it; ``ValueError`` if it is outstanding).
        Errors come as ``send_c_store`` raises them, before anything is sent.
        """
        self._check_established("C-STORE")
        message_id = self._message_id(msg_id)
        request = prepare_c_store(
            self, dataset, message_id, priority, originator_aet, originator_id
        )
        # The file's first part is read now, while an earlier request may still
        # hold the window's slot: reading overlaps the wait for its response.
        message = prepare_file_message(self.dimse, request)
        return self._submit(message_id, lambda: self._send_store(request, message))

    def send_c_store_many(
        self,
        datasets: Iterable[str | os.PathLike[str] | Dataset],
        priority: int = 2,
        *,
        status_only: bool = False,
    ) -> Iterator[tuple[Any, Any]]:
        """Send each of ``datasets`` as a C-STORE, pipelined within the window.

        Yields ``(item, status)`` in the order given, each as soon as it and
        those before it are answered: the status Dataset (or int with
        ``status_only``), as ``send_c_store`` returns it. With the default
        window of 1 this is ``send_c_store`` in a loop.
        """
        in_flight: deque[tuple[Any, PendingResponse]] = deque()
        window = self.dimse.invoked.window or _UNLIMITED_IN_FLIGHT
        for item in datasets:
            while in_flight and (in_flight[0][1].done() or len(in_flight) >= 2 * window):
                yield _answered(in_flight.popleft(), status_only)
            in_flight.append((item, self.submit_c_store(item, priority=priority)))
        while in_flight:
            yield _answered(in_flight.popleft(), status_only)

    def send_c_find(
        self, dataset: Dataset, query_model: str, msg_id: int = 1, priority: int = 2
    ) -> Iterator[tuple[Dataset, Dataset | None]]:
        """Send a C-FIND request (PS3.4 C.4.1, PS3.7 9.1.2) now; its responses as
        ``(status, identifier)`` pairs, the identifier of each Pending match, then
        the final status (with None). ``ValueError`` before anything is sent when
        no context for ``query_model`` is accepted or ``dataset`` cannot be
        encoded. An empty status Dataset ends it when no response came (the DIMSE
        timeout, or the association ended)."""
        self._check_established("C-FIND")
        request = prepare_query(self, C_FIND, dataset, query_model, msg_id, priority)
        return self._query(request)

    def send_c_get(
        self, dataset: Dataset, query_model: str, msg_id: int = 1, priority: int = 2
    ) -> Iterator[tuple[Dataset, Dataset | None]]:
        """Send a C-GET request (PS3.4 C.4.3, PS3.7 9.1.3) now; its responses as
        ``(status, identifier)`` pairs, as ``send_c_find``. The peer's C-STORE
        sub-operations arrive on this association and go to the EVT_C_STORE
        handler (the storage contexts need the SCP role: ``build_role``), each
        answered before the peer's next response."""
        self._check_established("C-GET")
        request = prepare_query(self, C_GET, dataset, query_model, msg_id, priority)
        return self._query(request)

    def send_c_move(
        self,
        dataset: Dataset,
        move_aet: str,
        query_model: str,
        msg_id: int = 1,
        priority: int = 2,
    ) -> Iterator[tuple[Dataset, Dataset | None]]:
        """Send a C-MOVE request (PS3.4 C.4.2, PS3.7 9.1.4) now, for the instances to
        go to the AE titled ``move_aet``; its responses as ``send_c_get``'s."""
        self._check_established("C-MOVE")
        request = prepare_query(self, C_MOVE, dataset, query_model, msg_id, priority, move_aet)
        return self._query(request)

    # -- the DIMSE-N services (pynetdicom's signatures; see _services/n_scu.py) ----

    def send_n_action(
        self,
        dataset: Dataset | None,
        action_type: int,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Send an N-ACTION request; (status, Action Reply)."""
        self._check_established("N-ACTION")
        return self._n_exchange(
            n_scu.prepare_n_action(
                self, dataset, action_type, class_uid, instance_uid, msg_id, meta_uid
            )
        )

    def send_n_create(
        self,
        dataset: Dataset | None,
        class_uid: str,
        instance_uid: str | None = None,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Send an N-CREATE request; (status, Attribute List)."""
        self._check_established("N-CREATE")
        return self._n_exchange(
            n_scu.prepare_n_create(self, dataset, class_uid, instance_uid, msg_id, meta_uid)
        )

    def send_n_delete(
        self, class_uid: str, instance_uid: str, msg_id: int = 1, meta_uid: str | None = None
    ) -> Dataset:
        """Send an N-DELETE request; its status."""
        self._check_established("N-DELETE")
        rsp = self._n_response(
            n_scu.prepare_n_delete(self, class_uid, instance_uid, msg_id, meta_uid)
        )
        return new_dataset() if rsp is None else self._check_received_status(rsp)

    def send_n_event_report(
        self,
        dataset: Dataset | None,
        event_type: int,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Send an N-EVENT-REPORT request; (status, Event Reply)."""
        self._check_established("N-EVENT-REPORT")
        return self._n_exchange(
            n_scu.prepare_n_event_report(
                self, dataset, event_type, class_uid, instance_uid, msg_id, meta_uid
            )
        )

    def send_n_get(
        self,
        identifier_list: Any,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Send an N-GET request; (status, Attribute List)."""
        self._check_established("N-GET")
        return self._n_exchange(
            n_scu.prepare_n_get(self, identifier_list, class_uid, instance_uid, msg_id, meta_uid)
        )

    def send_n_set(
        self,
        dataset: Dataset,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Send an N-SET request; (status, Attribute List)."""
        self._check_established("N-SET")
        return self._n_exchange(
            n_scu.prepare_n_set(self, dataset, class_uid, instance_uid, msg_id, meta_uid)
        )

    def _n_exchange(self, request: n_scu.NRequest) -> tuple[Dataset, Dataset | None]:
        """(status, the response's data set); an empty status and None when no response came."""
        rsp = self._n_response(request)
        if rsp is None:
            return new_dataset(), None
        status = self._check_received_status(rsp)
        return status, n_scu.reply_of(request, status, rsp)

    def _n_response(self, request: n_scu.NRequest) -> Any:
        """Send an N-request; its response primitive, or None when none came."""
        primitive = request.primitive
        return self._submit(
            primitive.MessageID, lambda: self.dimse.send_msg(primitive, request.context_id)
        ).response()

    def _query(self, request: QueryRequest) -> Iterator[tuple[Dataset, Dataset | None]]:
        """Send ``request`` (registered first, within the window) and return the
        generator of its responses: sent before the caller takes any, so that a
        C-CANCEL never overtakes it."""
        responses = self.dimse.expect(request.message_id, continuing=request.continuing)
        if responses is not None:
            self.dimse.send_msg(request.primitive, request.context_id)
        return self._query_responses(request, responses)

    def _query_responses(
        self, request: QueryRequest, responses: ThreadResponses | None
    ) -> Iterator[tuple[Dataset, Dataset | None]]:
        number = 1
        try:
            while True:
                rsp = None
                if responses is not None:
                    rsp = self.dimse.get_response(request.message_id, responses)
                status, identifier, final = self._query_outcome(rsp, request, number)
                yield status, identifier
                if final:
                    return
                number += 1
        finally:
            # Ended, or dropped by the caller: the reading thread never waits for it.
            if responses is not None:
                responses.abandon()

    def _submit(self, message_id: int, send: Callable[[], None]) -> PendingResponse:
        """Register ``message_id`` (waiting for a slot of the window), then ``send``."""
        responses = self.dimse.expect(message_id)
        if responses is not None:
            send()
        return PendingResponse(
            message_id,
            wait=lambda: (
                None if responses is None else self.dimse.get_response(message_id, responses)
            ),
            done=lambda: responses is None or responses.done,
            status_of=self._check_received_status,
            on_missing=self._handle_no_response,
            sent=responses is not None,
        )

    def _send_store(self, request: StoreRequest, message: FileMessage | None) -> None:
        if message is None:
            self.dimse.send_msg(request.primitive, request.context_id)
        else:
            self.dimse.send_file_msg(message)

    def release(self) -> None:
        """Release the association (A-RELEASE), waiting up to the ACSE timeout.

        The outstanding requests are answered first, both ways (each wait up to
        the DIMSE timeout): the responses to ours, and ours to the peer's,
        except that of the handler calling this, which is never sent.
        """
        if not self.is_established:
            return
        self.dimse.invoked.wait_idle(self.dimse_timeout)
        self.dimse.performed.wait_idle(self.dimse_timeout)
        if self.dul.state is State.STA6:
            LOGGER.info("Releasing Association")
            self.dul.request(Event.EVT11, _core.ReleaseRq())
        # The connection aborts when the ACSE timeout passes (Indication.TIMED_OUT).
        self.dul.wait(self._released)
        if not self.is_aborted:
            self.is_established = False
            self.is_released = True
            self._wait_for_end()

    def abort(self) -> None:
        """Abort the association (A-ABORT, service-user source) and close the connection."""
        if not self._request_abort():
            return
        # After A-ABORT the peer should close the connection (Sta13); do not
        # wait longer than the ARTIM timer would.
        if threading.current_thread() is not self and self.is_alive():
            self.join(self.acse_timeout)
        self.dul.kill()

    def kill(self) -> None:
        """Close the connection at once, with no word to the peer."""
        self.is_established = False
        self.dimse.invoked.end()  # as abort: no response will come
        self.dul.kill()
        self._negotiated.set()

    def run(self) -> None:
        try:
            if self._pending_accept is not None:
                self._begin_accepted(*self._pending_accept)
            self.dul.serve()
        except Exception:
            LOGGER.exception("Association thread failed; closing the connection")
            self.dul.kill()
        finally:
            self._on_ended()

    def _start_acceptor(
        self,
        sock: socket.socket,
        server: ServerBase,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        """Acceptor: serve a peer that connected to ``server``, on this association's thread."""
        self.server = server
        self._pending_accept = (sock, ssl_context)
        self.start()

    def _begin_accepted(self, sock: socket.socket, ssl_context: ssl.SSLContext | None) -> None:
        if ssl_context is not None:
            # The TLS handshake happens here, on this thread, bounded by ARTIM's timeout.
            sock.settimeout(self._acse_timeout)
            try:
                sock = ssl_context.wrap_socket(sock, server_side=True)
            except OSError as error:  # ssl.SSLError is an OSError
                LOGGER.error("TLS handshake failed: %s", error)
                sock.close()
                return
        evt.trigger(
            self, evt.EVT_CONN_OPEN, {"address": (self.requestor.address, self.requestor.port)}
        )
        self.dul.accept(sock)

    def _wait_for_end(self) -> None:
        if threading.current_thread() is not self and self.is_alive():
            self.join(self.acse_timeout)

    def _make_upper_layer(self) -> UpperLayer:
        return UpperLayer(
            requestor=self.is_requestor,
            on_indication=self._on_indication,
            local_max_pdu=self._ae.maximum_pdu_size,
            artim_timeout=self._acse_timeout,
            acse_timeout=self._acse_timeout,
            network_timeout=self._network_timeout,
            on_transition=self._on_transition,
        )

    def start_request(self, request: Request, done: Callable[[], None]) -> None:
        """Perform a request from the peer on a worker of the AE, then ``done()``."""
        with self._drain_lock:
            ending = self._ending
            if not ending:
                self._in_service += 1
        if ending:
            # Came after the association was found idle and is being ended (the
            # server stops): never performed, never answered, its spool deleted.
            self.dimse.finish_request(request)
            done()
            return

        def perform() -> None:
            try:
                with self.dimse.performed.performing():
                    self.serve_request(request.primitive, request.context_id)
            finally:
                self.dimse.finish_request(request)
                done()
                with self._drain_lock:
                    self._in_service -= 1
                if self._draining:
                    self._end_if_drained()

        self._ae._workers().submit(perform)

    # -- draining, when the server stops -------------------------------------------

    def _drain(self) -> None:
        """End this acceptor association once the peer's requests in hand are done.

        For a server that stops without losing work: a request being received,
        held or performed is finished and answered first, then the association
        is aborted (A-ABORT) before the peer's next request is taken. One not
        established yet is closed at once: nothing of it is in flight.
        """
        self._draining = True
        if not self.is_established:
            self.kill()
            return
        self._end_if_drained()

    def _end_if_drained(self) -> None:
        """(Draining.) Abort now if nothing of the peer's is received, held or performed."""
        with self.dul.between_messages() as quiet, self._drain_lock:
            if self._ending or not quiet or self._in_service or self.dimse.performed.busy:
                return
            self._ending = True
        if self._request_abort():
            LOGGER.info("Aborted: the server is stopping and no request was in hand")

    def _on_indication(self, kind: Indication, pdu: object | None) -> None:
        AssociationCore._on_indication(self, kind, pdu)
        # A request answered here on the reading thread (no handler bound) ends
        # no worker's job, so draining looks again after each message.
        if self._draining and kind is Indication.P_DATA:
            self._end_if_drained()
