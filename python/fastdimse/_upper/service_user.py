"""One side of an association (requestor or acceptor): pynetdicom's ``ServiceUser``.

It holds what that side said or will say during negotiation: AE title, address,
maximum PDU length, implementation identity, presentation contexts and the
user-information negotiation items (PS3.7 Annex D.3.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from fastdimse._upper import negotiation_items as prim
from fastdimse._upper.codes import DEFAULT_MAX_LENGTH
from fastdimse.utils import set_ae

if TYPE_CHECKING:
    from fastdimse._upper.contexts import PresentationContext

__all__ = ["MODE_ACCEPTOR", "MODE_REQUESTOR", "ServiceUser"]

MODE_REQUESTOR = "requestor"
MODE_ACCEPTOR = "acceptor"


class Owner(Protocol):
    """The association a service user belongs to, as far as the service user looks."""

    @property
    def ae(self) -> Any: ...


class ServiceUser:
    """The requestor or acceptor of an association, as the local AE sees it."""

    def __init__(self, assoc: Owner, mode: str) -> None:
        mode = mode.lower()
        if mode not in (MODE_REQUESTOR, MODE_ACCEPTOR):
            raise ValueError("The 'mode' must be either 'requestor' or 'acceptor'")
        self.assoc = assoc
        self._mode = mode
        self._ae_title = ""
        self.address = ""
        self.port = 0
        self.maximum_length: int = DEFAULT_MAX_LENGTH
        self.implementation_class_uid: str | None = assoc.ae.implementation_class_uid
        self.implementation_version_name: str | None = None
        self.primitive: Any = None
        # Requested contexts (requestor) or supported contexts (acceptor).
        self._contexts: list[PresentationContext] = []
        # (Acceptor, once negotiated.) Every context of the A-ASSOCIATE-AC with its
        # result, the rejected ones too: its Presentation Context Definition Results List.
        self._results: list[PresentationContext] | None = None
        self._items: list[Any] = []
        # Accepted SOP Class Common Extended items (acceptor, after negotiation).
        self._common_ext: dict[str, prim.SOPClassCommonExtendedNegotiation] = {}

    # -- identity -----------------------------------------------------------

    @property
    def ae_title(self) -> str:
        return self._ae_title

    @ae_title.setter
    def ae_title(self, value: str) -> None:
        self._ae_title = set_ae(value, "ae_title", False, False) or ""

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def is_requestor(self) -> bool:
        return self._mode == MODE_REQUESTOR

    @property
    def is_acceptor(self) -> bool:
        return self._mode == MODE_ACCEPTOR

    @property
    def info(self) -> dict[str, Any]:
        return {
            "ae_title": self.ae_title,
            "address": self.address,
            "port": self.port,
            "mode": self.mode,
            "pdv_size": self.maximum_length,
        }

    # -- presentation contexts ----------------------------------------------

    @property
    def requested_contexts(self) -> list[PresentationContext]:
        if not self.is_requestor:
            raise AttributeError("'requested_contexts' can only be used by the requestor")
        return self._contexts

    @requested_contexts.setter
    def requested_contexts(self, value: list[PresentationContext]) -> None:
        if not self.is_requestor:
            raise AttributeError("'requested_contexts' can only be set for the requestor")
        self._contexts = list(value)

    @property
    def supported_contexts(self) -> list[PresentationContext]:
        if not self.is_acceptor:
            raise AttributeError("'supported_contexts' can only be used by the acceptor")
        return self._contexts

    @supported_contexts.setter
    def supported_contexts(self, value: list[PresentationContext]) -> None:
        if not self.is_acceptor:
            raise AttributeError("'supported_contexts' can only be set for the acceptor")
        self._contexts = list(value)

    def get_contexts(self, cx_type: str) -> list[PresentationContext]:
        """The contexts of ``cx_type`` (pynetdicom's names): ``pcdrl`` is the answer's
        results list once negotiated, every other type this side's own contexts."""
        if cx_type == "pcdrl" and self._results is not None:
            return list(self._results)
        if cx_type in ("requested", "supported", "pcdl", "pcdrl"):
            return self._contexts
        raise ValueError(f"No '{cx_type}' presentation contexts are available")

    def record_results(self, contexts: list[PresentationContext]) -> None:
        """(Acceptor.) The contexts the A-ASSOCIATE-AC answered, accepted or not."""
        self._results = list(contexts)

    # -- user-information negotiation items ---------------------------------

    def add_negotiation_item(self, item: Any) -> None:
        allowed = (
            prim.AsynchronousOperationsWindowNegotiation,
            prim.SCP_SCU_RoleSelectionNegotiation,
            prim.SOPClassExtendedNegotiation,
            prim.SOPClassCommonExtendedNegotiation,
            prim.UserIdentityNegotiation,
        )
        if not isinstance(item, allowed):
            raise TypeError("'item' is not a valid extended negotiation item")
        if isinstance(
            item, (prim.AsynchronousOperationsWindowNegotiation, prim.UserIdentityNegotiation)
        ):
            # At most one of each: a newer one replaces the older.
            self._items = [i for i in self._items if not isinstance(i, type(item))]
        self._items.append(item)

    def remove_negotiation_item(self, item: Any) -> None:
        self._items = [i for i in self._items if i is not item]

    def reset_negotiation_items(self) -> None:
        self._items = []

    @property
    def extended_negotiation(self) -> list[Any]:
        return list(self._items)

    @property
    def user_information(self) -> list[Any]:
        """Every user-information item this side sends, the mandatory ones first."""
        items: list[Any] = []
        length = prim.MaximumLengthNotification()
        length.maximum_length_received = self.maximum_length
        items.append(length)
        if self.implementation_class_uid:
            uid = prim.ImplementationClassUIDNotification()
            uid.implementation_class_uid = self.implementation_class_uid
            items.append(uid)
        if self.implementation_version_name:
            name = prim.ImplementationVersionNameNotification()
            name.implementation_version_name = self.implementation_version_name
            items.append(name)
        items.extend(self._items)
        return items

    def _of_type(self, kind: type) -> list[Any]:
        return [i for i in self._items if isinstance(i, kind)]

    @property
    def asynchronous_operations(self) -> tuple[int, int]:
        for item in self._of_type(prim.AsynchronousOperationsWindowNegotiation):
            return (
                item.maximum_number_operations_invoked,
                item.maximum_number_operations_performed,
            )
        return (1, 1)

    @property
    def role_selection(self) -> dict[str, prim.SCP_SCU_RoleSelectionNegotiation]:
        return {i.sop_class_uid: i for i in self._of_type(prim.SCP_SCU_RoleSelectionNegotiation)}

    @property
    def sop_class_extended(self) -> dict[str, bytes]:
        return {
            i.sop_class_uid: i.service_class_application_information
            for i in self._of_type(prim.SOPClassExtendedNegotiation)
        }

    @property
    def sop_class_common_extended(self) -> dict[str, prim.SOPClassCommonExtendedNegotiation]:
        return {i.sop_class_uid: i for i in self._of_type(prim.SOPClassCommonExtendedNegotiation)}

    @property
    def accepted_common_extended(self) -> dict[str, tuple[str, list[str]]]:
        return {
            uid: (str(item.service_class_uid), list(item.related_general_sop_class_identification))
            for uid, item in self._common_ext.items()
        }

    @property
    def user_identity(self) -> prim.UserIdentityNegotiation | None:
        for item in self._of_type(prim.UserIdentityNegotiation):
            if isinstance(item, prim.UserIdentityNegotiation):
                return item
        return None
