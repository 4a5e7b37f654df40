"""DIMSE (PS3.7) above the upper layer: message routing, the operations window."""
