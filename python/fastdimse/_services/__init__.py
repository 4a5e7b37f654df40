"""Service classes (PS3.4): what an SCP does with a request, and what an SCU sends."""
