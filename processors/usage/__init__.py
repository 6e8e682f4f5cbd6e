"""`usage`: tokens and cost (ccusage-exact dedup), tool events, session summaries, plugin items."""

from sessiond.processors.usage.processor import UsageProcessor

__all__ = ["UsageProcessor"]
