"""pynetdicom's ``fastdimse.acse``: association negotiation.

A thin re-export: the code lives in ``fastdimse._upper.negotiation``.
"""

from fastdimse._upper.negotiation import (
    APPLICATION_CONTEXT_NAME,
    Acceptance,
    associate_primitive,
    build_associate_rq,
    evaluate_associate_rq,
    read_associate_ac,
    read_user_information,
)

__all__ = [
    "APPLICATION_CONTEXT_NAME",
    "Acceptance",
    "associate_primitive",
    "build_associate_rq",
    "evaluate_associate_rq",
    "read_associate_ac",
    "read_user_information",
]
