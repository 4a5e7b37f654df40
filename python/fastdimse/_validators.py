"""pynetdicom keeps its validators here; ours are ``_validation.validate_ae`` and
``_config.validate_ui`` (the UID rule under ``ENFORCE_UID_CONFORMANCE``)."""

from fastdimse._config import validate_ui
from fastdimse._validation import validate_ae

__all__ = ["validate_ae", "validate_ui"]
