"""What every Application Entity has, whichever driver runs its associations.

``AEBase`` holds pynetdicom's AE configuration (titles, presentation contexts,
limits, timeouts, access control, with its defaults, errors and warnings),
the list of active associations with the association limit, the pool of
handler workers, and the setting up of a requestor or acceptor association.
``fastdimse.AE`` (threads) and ``fastdimse.aio.AE`` (asyncio) add how an
association is requested and served.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from fastdimse._engine.workers import DEFAULT_MAXIMUM_WORKERS, WorkerPool
from fastdimse._implementation import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
from fastdimse._upper.codes import DEFAULT_MAX_LENGTH
from fastdimse._upper.contexts import DEFAULT_TRANSFER_SYNTAXES, PresentationContext
from fastdimse._upper.state_table import State
from fastdimse.utils import set_ae, set_uid

if TYPE_CHECKING:
    from fastdimse._upper.state_table import State as _State


class Tracked(Protocol):
    """What the AE needs of an association it counts (threaded or asyncio)."""

    @property
    def is_acceptor(self) -> bool: ...

    @property
    def dul(self) -> _HasState: ...


class _HasState(Protocol):
    @property
    def state(self) -> _State: ...


class SharedCount(Protocol):
    """The association count of a server run by several processes
    (``fastdimse._io.shared_count``): each tells it its own count."""

    def admit(self, busy: int, limit: int) -> bool:
        """Whether one more association fits, this process having ``busy``;
        counted at once if it does."""
        ...

    def publish(self, busy: int) -> None:
        """This process now has ``busy`` associations."""
        ...


__all__ = [
    "DEFAULT_MAX_LENGTH",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "AEBase",
    "SharedCount",
    "check_bind_address",
    "text_title",
]

LOGGER = logging.getLogger("fastdimse")

# Upper-layer states in which an association holds no slot: no connection yet,
# waiting for the RQ, or over and waiting for the peer to close.
_IDLE_STATES = frozenset({State.STA1, State.STA2, State.STA13})
_MAX_REQUESTED_CONTEXTS = 128


class AEBase:
    """The configuration and bookkeeping shared by the threaded and asyncio AEs."""

    def __init__(self, ae_title: str = "PYNETDICOM") -> None:
        self._ae_title = ""
        self.ae_title = ae_title
        self._implementation_uid = IMPLEMENTATION_CLASS_UID
        self._implementation_version: str | None = IMPLEMENTATION_VERSION_NAME
        self._requested_contexts: list[PresentationContext] = []
        self._supported_contexts: dict[str, PresentationContext] = {}
        self._maximum_associations = 10
        self._maximum_pdu_size = DEFAULT_MAX_LENGTH
        self._acse_timeout: float | None = 30
        self._connection_timeout: float | None = None
        self._dimse_timeout: float | None = 30
        self._network_timeout: float | None = 60
        self._require_calling_aet: list[str] = []
        self._require_called_aet = False
        self._servers: list[Any] = []
        self._associations: list[Any] = []
        self._lock = threading.Lock()
        self._maximum_operations_invoked = 1
        self._maximum_operations_performed = 1
        self._maximum_workers = DEFAULT_MAXIMUM_WORKERS
        self._pool: WorkerPool | None = None
        # Set in each process of a ProcessServer: the association limit then
        # holds for all of them together.
        self._shared_count: SharedCount | None = None

    @property
    def active_associations(self) -> list[Any]:
        """The associations of this AE whose connection is open, requestors and acceptors."""
        with self._lock:
            return list(self._associations)

    def _add_association(self, assoc: Tracked) -> None:
        with self._lock:
            self._associations.append(assoc)

    def _over_limit(self, assoc: Tracked) -> bool:
        """Whether accepting ``assoc`` now would exceed ``maximum_associations``.

        Decided when its A-ASSOCIATE-RQ arrives, counting only the acceptors
        that are negotiating or established (Sta3..Sta12): a connection still
        waiting for its RQ, or one that has ended and waits for the peer to
        close, holds no slot. In a process of a ``ProcessServer`` the
        associations of all its processes count (``_shared_count``).
        """
        with self._lock:
            busy = self._busy_acceptors(assoc)
            if self._shared_count is None:
                return busy >= self._maximum_associations
            return not self._shared_count.admit(busy, self._maximum_associations)

    def _busy_acceptors(self, other_than: Tracked | None = None) -> int:
        """(Under the lock.) The acceptors negotiating or established."""
        return sum(
            1
            for a in self._associations
            if a is not other_than and a.is_acceptor and a.dul.state not in _IDLE_STATES
        )

    def _remove_association(self, assoc: Tracked) -> None:
        with self._lock:
            if assoc in self._associations:
                self._associations.remove(assoc)
            if self._shared_count is not None:
                self._shared_count.publish(self._busy_acceptors())

    def add_requested_context(
        self, abstract_syntax: str, transfer_syntax: str | Sequence[str] | None = None
    ) -> None:
        if transfer_syntax is None:
            transfer_syntax = DEFAULT_TRANSFER_SYNTAXES
        if len(self._requested_contexts) >= _MAX_REQUESTED_CONTEXTS:
            raise ValueError(
                "Failed to add the requested presentation context as there "
                "are already the maximum allowed number of requested contexts"
            )
        if isinstance(transfer_syntax, str):
            transfer_syntax = [transfer_syntax]
        context = PresentationContext()
        # Plain strings: the context checks them, and makes pydicom UIDs only if read.
        context.abstract_syntax = abstract_syntax
        context.transfer_syntax = list(transfer_syntax)
        self._requested_contexts.append(context)

    def add_supported_context(
        self,
        abstract_syntax: str,
        transfer_syntax: str | Sequence[str] | None = None,
        scu_role: bool | None = None,
        scp_role: bool | None = None,
    ) -> None:
        from pydicom.uid import UID

        if transfer_syntax is None:
            transfer_syntax = DEFAULT_TRANSFER_SYNTAXES
        abstract = UID(abstract_syntax)
        if not isinstance(scu_role, (type(None), bool)):
            raise TypeError("`scu_role` must be None or bool")
        if not isinstance(scp_role, (type(None), bool)):
            raise TypeError("`scp_role` must be None or bool")
        if isinstance(transfer_syntax, str):
            transfer_syntax = [transfer_syntax]
        syntaxes: list[str | bytes | UID] = [UID(ts) for ts in transfer_syntax]
        context = self._supported_contexts.get(abstract)
        if context is not None:
            for syntax in syntaxes:
                context.add_transfer_syntax(syntax)
        else:
            context = PresentationContext()
            context.abstract_syntax = abstract
            context.transfer_syntax = syntaxes
            self._supported_contexts[abstract] = context
        context.scu_role = scu_role
        context.scp_role = scp_role

    def remove_requested_context(
        self, abstract_syntax: str, transfer_syntax: str | Sequence[str] | None = None
    ) -> None:
        from pydicom.uid import UID

        abstract = UID(abstract_syntax)
        if abstract not in [cx.abstract_syntax for cx in self._requested_contexts]:
            raise ValueError(
                "No requested presentation contexts with an abstract syntax of "
                f"'{abstract.name}' could be found"
            )
        if transfer_syntax is None:
            self._requested_contexts = [
                cx for cx in self._requested_contexts if cx.abstract_syntax != abstract
            ]
            return
        removing = {
            UID(ts)
            for ts in ([transfer_syntax] if isinstance(transfer_syntax, str) else transfer_syntax)
        }
        kept: list[PresentationContext] = []
        for cx in self._requested_contexts:
            if cx.abstract_syntax == abstract:
                remaining = [ts for ts in cx.transfer_syntax if ts not in removing]
                if not remaining:
                    continue
                cx.transfer_syntax = list(remaining)
            kept.append(cx)
        self._requested_contexts = kept

    def remove_supported_context(
        self, abstract_syntax: str, transfer_syntax: str | Sequence[str] | None = None
    ) -> None:
        from pydicom.uid import UID

        abstract = UID(abstract_syntax)
        if isinstance(transfer_syntax, str):
            transfer_syntax = [transfer_syntax]
        if abstract not in self._supported_contexts:
            return
        if transfer_syntax is None:
            del self._supported_contexts[abstract]
            return
        context = self._supported_contexts[abstract]
        removing = {UID(ts) for ts in transfer_syntax}
        remaining: list[str | bytes | UID] = [
            ts for ts in context.transfer_syntax if ts not in removing
        ]
        if remaining:
            context.transfer_syntax = list(remaining)
        else:
            del self._supported_contexts[abstract]

    @property
    def requested_contexts(self) -> list[PresentationContext]:
        return self._requested_contexts

    @requested_contexts.setter
    def requested_contexts(self, contexts: list[PresentationContext]) -> None:
        if not contexts:
            self._requested_contexts = []
            return
        self._validate_requested_contexts(contexts)
        for context in contexts:
            self.add_requested_context(str(context.abstract_syntax), context.transfer_syntax)

    @property
    def supported_contexts(self) -> list[PresentationContext]:
        return sorted(self._supported_contexts.values(), key=lambda cx: str(cx.abstract_syntax))

    @supported_contexts.setter
    def supported_contexts(self, contexts: list[PresentationContext]) -> None:
        if not contexts:
            self._supported_contexts = {}
        for cx in contexts or []:
            if not isinstance(cx, PresentationContext):
                raise ValueError("'contexts' must be a list of PresentationContext items")
            self.add_supported_context(
                str(cx.abstract_syntax), cx.transfer_syntax, cx.scu_role, cx.scp_role
            )

    @staticmethod
    def _validate_requested_contexts(contexts: list[PresentationContext]) -> None:
        if len(contexts) > _MAX_REQUESTED_CONTEXTS:
            raise ValueError("The maximum allowed number of requested presentation contexts is 128")
        if any(not isinstance(cx, PresentationContext) for cx in contexts):
            raise ValueError("'contexts' must be a list of PresentationContext items")

    @property
    def ae_title(self) -> str:
        return self._ae_title

    @ae_title.setter
    def ae_title(self, value: str) -> None:
        self._ae_title = set_ae(text_title(value, "ae_title"), "ae_title", False, False) or ""

    @property
    def implementation_class_uid(self) -> str:
        return self._implementation_uid

    @implementation_class_uid.setter
    def implementation_class_uid(self, value: str) -> None:
        uid = set_uid(value, "implementation_class_uid", False, False, True)
        if uid is None or not uid.is_valid:
            raise ValueError(f"Invalid 'implementation_class_uid' value '{uid}'")
        self._implementation_uid = uid

    @property
    def implementation_version_name(self) -> str | None:
        return self._implementation_version

    @implementation_version_name.setter
    def implementation_version_name(self, value: str | None) -> None:
        if isinstance(value, str) and not value:
            raise ValueError(
                "Invalid 'implementation_version_name' value - must not be an empty str"
            )
        self._implementation_version = set_ae(value, "implementation_version_name")

    @property
    def maximum_associations(self) -> int:
        return self._maximum_associations

    @maximum_associations.setter
    def maximum_associations(self, value: int) -> None:
        if isinstance(value, int) and value >= 1:
            self._maximum_associations = value
        else:
            LOGGER.warning("maximum_associations set to 1")
            self._maximum_associations = 1

    @property
    def maximum_operations_invoked(self) -> int:
        """Our own requests we let be outstanding at once on an association we accept
        (what a requestor may *perform*, PS3.7 D.3.3.3); 0 is unlimited. Default 1."""
        return self._maximum_operations_invoked

    @maximum_operations_invoked.setter
    def maximum_operations_invoked(self, value: int) -> None:
        self._maximum_operations_invoked = _window_limit(value, "maximum_operations_invoked")

    @property
    def maximum_operations_performed(self) -> int:
        """The peer's requests we perform at once on an association we accept (what a
        requestor may *invoke*, PS3.7 D.3.3.3); 0 is unlimited. Default 1.

        Above the defaults (1, 1) the acceptor answers an Asynchronous
        Operations Window item with the requested values capped by these
        (crossed over, as the standard defines the fields); at the defaults it
        answers only when an EVT_ASYNC_OPS handler is bound, and then (1, 1),
        as pynetdicom does.
        """
        return self._maximum_operations_performed

    @maximum_operations_performed.setter
    def maximum_operations_performed(self, value: int) -> None:
        self._maximum_operations_performed = _window_limit(value, "maximum_operations_performed")

    @property
    def maximum_workers(self) -> int:
        """The most service handlers (EVT_C_*, EVT_N_*) that run at once, all this AE's
        associations together (default 64). Handlers run on worker threads, never
        on an association's reading thread; a request beyond the limit waits for
        a free worker while its association reads on (responses, C-CANCEL, aborts)."""
        return self._maximum_workers

    @maximum_workers.setter
    def maximum_workers(self, value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError("'maximum_workers' must be a positive int")
        self._maximum_workers = value
        if self._pool is not None:
            self._pool.limit = value

    def _workers(self) -> WorkerPool:
        """The pool that runs this AE's handlers (started on first use)."""
        with self._lock:
            if self._pool is None:
                self._pool = WorkerPool(self._maximum_workers, name="fastdimse-handler")
            return self._pool

    @property
    def maximum_pdu_size(self) -> int:
        return self._maximum_pdu_size

    @maximum_pdu_size.setter
    def maximum_pdu_size(self, value: int) -> None:
        if value >= 0:
            self._maximum_pdu_size = value
        else:
            LOGGER.warning("maximum_pdu_size set to %d", DEFAULT_MAX_LENGTH)

    @property
    def require_called_aet(self) -> bool:
        return self._require_called_aet

    @require_called_aet.setter
    def require_called_aet(self, require_match: bool) -> None:
        self._require_called_aet = require_match

    @property
    def require_calling_aet(self) -> list[str]:
        return self._require_calling_aet

    @require_calling_aet.setter
    def require_calling_aet(self, ae_titles: list[str]) -> None:
        if any(isinstance(title, bytes) for title in ae_titles):
            import warnings

            warnings.warn(
                "The use of a list of bytes with 'require_calling_aet' is "
                "deprecated, use a list of ASCII str instead",
                DeprecationWarning,
                stacklevel=2,
            )
        self._require_calling_aet = [
            set_ae(_decode(title), "require_calling_aet", False, False) or "" for title in ae_titles
        ]

    @property
    def acse_timeout(self) -> float | None:
        return self._acse_timeout

    @acse_timeout.setter
    def acse_timeout(self, value: float | None) -> None:
        self._acse_timeout = _timeout(value, "ACSE timeout", 30, allow_zero=True)
        for assoc in self.active_associations:
            assoc.acse_timeout = self._acse_timeout

    @property
    def dimse_timeout(self) -> float | None:
        return self._dimse_timeout

    @dimse_timeout.setter
    def dimse_timeout(self, value: float | None) -> None:
        self._dimse_timeout = _timeout(value, "DIMSE timeout", 30, allow_zero=True)
        for assoc in self.active_associations:
            assoc.dimse_timeout = self._dimse_timeout

    @property
    def network_timeout(self) -> float | None:
        return self._network_timeout

    @network_timeout.setter
    def network_timeout(self, value: float | None) -> None:
        self._network_timeout = _timeout(value, "Network timeout", 60, allow_zero=True)
        for assoc in self.active_associations:
            assoc.network_timeout = self._network_timeout

    @property
    def connection_timeout(self) -> float | None:
        return self._connection_timeout

    @connection_timeout.setter
    def connection_timeout(self, value: float | None) -> None:
        # Zero would make the socket non-blocking: not a timeout.
        if value is None or (isinstance(value, (int, float)) and value > 0):
            self._connection_timeout = value
        else:
            LOGGER.warning("connection_timeout set to None")
            self._connection_timeout = None
        for assoc in self.active_associations:
            assoc.connection_timeout = self._connection_timeout

    def __str__(self) -> str:
        lines = [
            "",
            f"Application Entity {self.ae_title}",
            "",
            "  Requested Presentation Contexts:",
        ]
        lines += _describe_contexts(self.requested_contexts)
        lines += ["", "  Supported Presentation Contexts:"]
        lines += _describe_contexts(self.supported_contexts)
        lines += [
            "",
            f"  ACSE timeout: {self.acse_timeout} s",
            f"  DIMSE timeout: {self.dimse_timeout} s",
            f"  Network timeout: {self.network_timeout} s",
            f"  Connection timeout: {self.connection_timeout} s",
            "",
        ]
        if self.require_calling_aet:
            lines.append(f"  Required calling AE title(s): {', '.join(self.require_calling_aet)}")
        lines += [f"  Require called AE title: {self.require_called_aet}", ""]
        active = self.active_associations
        lines.append(f"  Association(s): {len(active)}/{self.maximum_associations}")
        for assoc in active:
            remote = assoc.remote
            lines.append(f"\tPeer: {remote['ae_title']} on {remote['address']}:{remote['port']}")
        return "\n".join(lines)


def text_title(value: Any, name: str) -> Any:
    """pynetdicom 2.x took AE titles as bytes: still accepted, with its warning."""
    if isinstance(value, bytes):
        import warnings

        warnings.warn(
            f"The use of bytes with '{name}' is deprecated, use an ASCII str instead",
            DeprecationWarning,
            stacklevel=3,
        )
    return _decode(value)


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("ascii", errors="replace").strip()
    return value


def check_bind_address(bind_address: Any) -> None:
    message = "'bind_address' must be tuple[str, int] or tuple[str, int, int, int]"
    if not isinstance(bind_address, (tuple, list)):
        raise TypeError(message)
    if (
        len(bind_address) not in (2, 4)
        or not isinstance(bind_address[0], str)
        or not isinstance(bind_address[1], int)
    ):
        raise TypeError(message)
    if len(bind_address) == 4 and not all(isinstance(v, int) for v in bind_address[2:]):
        raise TypeError(message)


def _window_limit(value: int, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFFFF:
        raise ValueError(f"'{name}' must be an int from 0 (unlimited) to 65535")
    return value


def _timeout(value: float | None, name: str, default: float, *, allow_zero: bool) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and (value > 0 or (allow_zero and value == 0)):
        return value
    LOGGER.warning("%s set to %s seconds", name, default)
    return default


def _describe_contexts(contexts: list[PresentationContext]) -> list[str]:
    from pydicom.uid import UID

    if not contexts:
        return ["\tNone"]
    lines = []
    for cx in contexts:
        lines.append(f"\t{UID(str(cx.abstract_syntax)).name}")
        lines += [f"\t\t{UID(ts).name}" for ts in cx.transfer_syntax]
    return lines
