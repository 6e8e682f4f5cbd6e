"""The verification processor: where a person corrects, confirms or defines domain knowledge.

Detections become knowledge items with evidence, deduplicated against what is stored (issue #4).
"""

from sessiond.processors.verification.processor import VerificationProcessor

__all__ = ["VerificationProcessor"]
