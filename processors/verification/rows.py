"""The rows ``process`` hands to ``merge``: detections still to be placed, and append trails.

A detection row from ``process`` has the ``verification_detections`` columns that are known
without the database, plus private ``_``-keys for `merge` (how to find the statement if it is in
an earlier append, and a rules `Lead` still to finish), declared as the processor's
``merge_fields`` so they reach ``merge`` from a pool process too. ``merge`` returns clean rows.
"""

from __future__ import annotations

from typing import Any

from sessiond.processors.contract import SessionFile
from sessiond.processors.verification.detection import (
    QUOTE_CHARS,
    Candidate,
    Detection,
    complete,
    detection_id,
)
from sessiond.processors.verification.exchanges import Exchange, Trail

# private keys (never columns)
STATEMENT_KNOWN = "_statement_known"
STATEMENT_PARTIAL = "_statement_partial"
STATEMENT_MESSAGE = "_statement_message_id"
LEAD_STRENGTH = "_lead_strength"
LEAD_FACT = "_lead_fact"
CONTINUES = "_continues"  # context: the trail continues the stored one (same open message)

DETECTION_FIELDS = (STATEMENT_KNOWN, STATEMENT_PARTIAL, STATEMENT_MESSAGE, LEAD_STRENGTH, LEAD_FACT)
CONTEXT_FIELDS = (CONTINUES,)
ASK = "_ask"  # a pending row's person's words, to be asked about (the LLM's; `llm_cache`)


def detection_row(
    file: SessionFile, ex: Exchange, candidate: Candidate, extractor: str
) -> dict[str, Any] | None:
    """A detection as ``process`` knows it; None when its title/content are unusable."""
    detection: Detection | None = None
    if candidate.lead is None:
        detection = complete(candidate.detection_type, candidate.title or "",
                             candidate.content or "")
        if detection is None:
            return None
    statement = ex.statement
    row: dict[str, Any] = {
        "id": detection_id(file.key, ex.user.line, candidate.index),
        "session_file": file.key,
        "source_user": file.user,
        "session_id": ex.user.session_id or file.key,
        "source_ref": f"{file.key}:{ex.user.line}",
        "line_no": ex.user.line,
        "detection_type": candidate.detection_type,
        "user_quote": candidate.user_quote[:QUOTE_CHARS],
        "assistant_statement": statement.text if statement is not None else None,
        "title": detection.title if detection else None,
        "content": detection.content if detection else None,
        "domain": detection.domain if detection else None,
        "entities": list(detection.entities) if detection else None,
        "extractor": candidate.extractor or extractor,
        "occurred_at": ex.user.timestamp,
        STATEMENT_KNOWN: ex.known,
        STATEMENT_PARTIAL: statement is not None and statement.partial,
        STATEMENT_MESSAGE: statement.message_id if statement is not None else None,
        LEAD_STRENGTH: candidate.lead.strength if candidate.lead else None,
        LEAD_FACT: candidate.lead.fact if candidate.lead else None,
    }
    return row


def context_rows(file: SessionFile, trail: Trail) -> list[dict[str, Any]]:
    return [
        {"session_file": file.key, "line_no": part.line, "role": trail.role,
         "message_id": part.message_id, "text": part.text, "occurred_at": part.timestamp,
         CONTINUES: trail.continues}
        for part in trail.parts
    ]
