"""Processors: the plugin contract, the JSONL reader, and one module per processor."""
