"""The DIMSE service primitives (PS3.7 9.1 and 10.1), pynetdicom's
``dimse_primitives``: their checked parameters, the C- and N-services, and their
conversion to and from the core's ``CommandSet``."""
