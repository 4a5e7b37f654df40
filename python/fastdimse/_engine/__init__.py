"""The association engine shared by the drivers: policy above the sans-IO upper layer."""
