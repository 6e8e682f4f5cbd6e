"""The daemon: lifecycle, watching, scanning, queues and workers around the state store."""
