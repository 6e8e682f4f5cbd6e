"""The daemon: lifecycle, watching, scanning, queues and workers around the state store."""

__version__ = "0.1.0"
