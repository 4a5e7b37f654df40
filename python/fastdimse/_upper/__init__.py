"""The DICOM upper layer (PS3.8), sans-IO: the state table and one association's connection."""
