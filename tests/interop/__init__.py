"""Interop tests against real peers: DCMTK's tools and pynetdicom 3.0.4, plain and TLS."""
