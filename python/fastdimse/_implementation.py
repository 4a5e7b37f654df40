"""Who this library says it is: the Implementation Class UID and Version Name it
sends when negotiating (PS3.7 D.3.3.2) and writes in the File Meta Information
of the files it makes (PS3.10 7.1). ``fastdimse._io.thread_ae`` exports them under
pynetdicom's names as well."""

__all__ = ["IMPLEMENTATION_CLASS_UID", "IMPLEMENTATION_VERSION_NAME"]

# A UUID-derived UID (ISO/IEC 9834-8, PS3.5 B.2): needs no registered root.
IMPLEMENTATION_CLASS_UID = "2.25.179253336719679128056925758795906334732"
IMPLEMENTATION_VERSION_NAME = "FASTDIMSE_010"
