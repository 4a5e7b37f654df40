"""Service primitives of the upper layer (pynetdicom's ``pdu_primitives``).

The user information negotiation items live in ``_upper.negotiation_items``,
the A-ASSOCIATE, A-RELEASE, A-ABORT, A-P-ABORT and P-DATA primitives in
``_upper.service_primitives``; this module gives them pynetdicom's module name
(with ``DEFAULT_MAX_LENGTH``, ``CoreUserItem`` and ``UserInformationItem``, which
it has always had besides ``__all__``).
"""

from __future__ import annotations

from fastdimse._upper import negotiation_items, service_primitives
from fastdimse._upper.codes import DEFAULT_MAX_LENGTH as DEFAULT_MAX_LENGTH
from fastdimse._upper.negotiation_items import (
    AsynchronousOperationsWindowNegotiation as AsynchronousOperationsWindowNegotiation,
)
from fastdimse._upper.negotiation_items import CoreUserItem as CoreUserItem
from fastdimse._upper.negotiation_items import (
    ImplementationClassUIDNotification as ImplementationClassUIDNotification,
)
from fastdimse._upper.negotiation_items import (
    ImplementationVersionNameNotification as ImplementationVersionNameNotification,
)
from fastdimse._upper.negotiation_items import (
    MaximumLengthNotification as MaximumLengthNotification,
)
from fastdimse._upper.negotiation_items import (
    SCP_SCU_RoleSelectionNegotiation as SCP_SCU_RoleSelectionNegotiation,
)
from fastdimse._upper.negotiation_items import ServiceParameter as ServiceParameter
from fastdimse._upper.negotiation_items import (
    SOPClassCommonExtendedNegotiation as SOPClassCommonExtendedNegotiation,
)
from fastdimse._upper.negotiation_items import (
    SOPClassExtendedNegotiation as SOPClassExtendedNegotiation,
)
from fastdimse._upper.negotiation_items import UserIdentityNegotiation as UserIdentityNegotiation
from fastdimse._upper.negotiation_items import UserInformationItem as UserInformationItem
from fastdimse._upper.negotiation_items import from_core as from_core
from fastdimse._upper.service_primitives import A_ABORT as A_ABORT
from fastdimse._upper.service_primitives import A_ASSOCIATE as A_ASSOCIATE
from fastdimse._upper.service_primitives import A_P_ABORT as A_P_ABORT
from fastdimse._upper.service_primitives import A_RELEASE as A_RELEASE
from fastdimse._upper.service_primitives import P_DATA as P_DATA

__all__: list[str] = []
__all__ += service_primitives.__all__
__all__ += negotiation_items.__all__
