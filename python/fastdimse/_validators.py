"""pynetdicom keeps its validators here; ours live in ``fastdimse.utils``."""

from fastdimse.utils import validate_ae, validate_ui

__all__ = ["validate_ae", "validate_ui"]
