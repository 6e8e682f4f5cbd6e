"""The LLM extractor at commit time: each exchange is asked once, its answer cached in the state.

Where the model is asked, and why there. ``process`` may run in a parse-pool process that has no
database, so it cannot tell an exchange already answered from a new one; ``merge`` runs inside
the commit transaction, with SQL. So with ``extractor = "llm"``, ``process`` asks nothing: it
emits one *pending* detection row per exchange worth asking (`pending_rows`: the columns known
from the append, plus ``_ask``, the person's words, a merge field). `answer_pending`, called by
``merge`` before the detections are placed:

1. resolves the statement each exchange answers -- from the file's stored trail when it began
   in an earlier append -- so an exchange is the same text whether its file was read whole or
   in parts (a reprocess reads it whole);
2. looks the exchanges up in ``verification_llm_answers`` by sha256(prompt version, model,
   exchange) (`llm.Ask.key`), and asks the model only for the others (`LlmExtractor.answer`:
   batched, concurrent, within the budget);
3. writes the new answers to the cache and turns every answer into detection rows, which the
   merge places as usual.

The cache is one row per exchange, not per file: reprocess, rewrites, deletions and version bumps
delete a file's outputs (``verification_detections``, ``verification_context``) and never touch
it, so they send nothing already answered. An answer with nothing found is cached too (``[]``):
it is an answer. A failed request raises; the transaction rolls back: nothing cached, no
detection, the cursor not moved, and the file gets attempts, backoff and parking.

kill -9: the new answers commit in the same transaction as the rows and cursors they produced,
so neither outlives the other. Of the two ways they could part, an answer stored without its
outputs would be harmless (a memo: the file is read again and the answer found); outputs stored
without their answer would not be -- the next reprocess would ask again and, the model's answer
not being a function of its input, could change them. One transaction rules both out.

The cost of asking here: the requests run in the writer thread, inside the transaction, so other
processors' commits wait while the model answers (at most ``ceil(requests / concurrency)`` rounds
of requests, each bounded by ``timeout``). Only new exchanges are ever asked, a spent budget
raises at once rather than waiting, and rows and cursors still commit together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sessiond.processors.contract import Rows, SessionFile, Tx
from sessiond.processors.verification import rows as r
from sessiond.processors.verification import rules
from sessiond.processors.verification.detection import QUOTE_CHARS, complete, detection_id
from sessiond.processors.verification.exchanges import Exchange
from sessiond.processors.verification.llm import (
    PROMPT_VERSION,
    USER_CHARS,
    Answer,
    Ask,
    LlmExtractor,
    decode,
    encode,
    worth_asking,
)
from sessiond.processors.verification.merge import Merger
from sessiond.processors.verification.schema import DETECTIONS, LLM_ANSWERS

ASK = "_ask"  # merge field of a pending row: the person's words, to be asked about

_IN = "IN (SELECT unnest(?::VARCHAR[]))"


def pending_rows(file: SessionFile, exchanges: Sequence[Exchange]) -> list[dict[str, Any]]:
    """One row per exchange worth asking: what ``process`` knows, the answer still to come."""
    out = []
    for ex in exchanges:
        if not worth_asking(ex.user.text):
            continue
        statement = ex.statement
        out.append({
            "id": detection_id(file.key, ex.user.line, 0),
            "session_file": file.key,
            "source_user": file.user,
            "session_id": ex.user.session_id or file.key,
            "source_ref": f"{file.key}:{ex.user.line}",
            "line_no": ex.user.line,
            "user_quote": ex.user.text[:QUOTE_CHARS],
            "assistant_statement": statement.text if statement is not None else None,
            "extractor": LlmExtractor.name,
            "occurred_at": ex.user.timestamp,
            r.STATEMENT_KNOWN: ex.known,
            r.STATEMENT_PARTIAL: statement is not None and statement.partial,
            r.STATEMENT_MESSAGE: statement.message_id if statement is not None else None,
            ASK: ex.user.text[:USER_CHARS],
        })
    return out


class AnswerCache:
    """``verification_llm_answers``: one row per exchange answered, by its key."""

    def __init__(self, tx: Tx, model: str) -> None:
        self._tx = tx
        self.model = model

    def lookup(self, keys: Sequence[str]) -> dict[str, Answer]:
        if not keys:
            return {}
        rows = self._tx.query(f"SELECT key, answer FROM {LLM_ANSWERS} WHERE key {_IN}",
                              [sorted(set(keys))])
        return {str(key): decode(str(answer)) for key, answer in rows}

    def add(self, answers: Mapping[str, Answer], now: datetime) -> None:
        if not answers:
            return
        rows = [{"key": key, "prompt_version": PROMPT_VERSION, "model": self.model,
                 "answer": encode(answer), "created_at": now} for key, answer in answers.items()]
        name = self._tx.relation(LLM_ANSWERS, rows)
        self._tx.execute(f"INSERT INTO {LLM_ANSWERS} BY NAME SELECT * FROM {name}")


def answer_pending(
    tx: Tx, batch: Mapping[str, Rows], extractor: LlmExtractor, now: datetime | None = None
) -> Mapping[str, Rows]:
    """The batch with its pending rows replaced by the detections the answers hold."""
    detections = list(batch.get(DETECTIONS, ()))
    pending = sorted((d for d in detections if d.get(ASK) is not None),
                     key=lambda d: (d["session_file"], d["line_no"]))
    if not pending:
        return batch
    statements = _statements(tx, pending)
    asks = [Ask.of(str(d[ASK]), s) for d, s in zip(pending, statements, strict=True)]
    keys = {ask: ask.key(extractor.model) for ask in asks}
    cache = AnswerCache(tx, extractor.model)
    known = cache.lookup(list(keys.values()))
    fresh = extractor.answer(a for a in asks if keys[a] not in known)  # raises on any failure
    cache.add({keys[a]: answer for a, answer in fresh.items()}, now or datetime.now(UTC))
    out: list[Mapping[str, Any]] = [d for d in detections if d.get(ASK) is None]
    for row, statement, ask in zip(pending, statements, asks, strict=True):
        answer = known[keys[ask]] if keys[ask] in known else fresh[ask]
        out.extend(_detections(row, statement, answer))
    return {**batch, DETECTIONS: out}


def _statements(tx: Tx, pending: Sequence[Mapping[str, Any]]) -> list[str | None]:
    """The whole statement each pending row answers, as the merge finds it (`merge.Merger`:
    from the stored trail when it began in an earlier append)."""
    merger = Merger(tx, rules.finish)
    need = {str(d["session_file"]) for d in pending
            if not d.get(r.STATEMENT_KNOWN) or d.get(r.STATEMENT_PARTIAL)}
    trails = merger.store.trails(need)
    return [merger._statement(d, trails.get(str(d["session_file"]))) for d in pending]


def _detections(
    row: Mapping[str, Any], statement: str | None, answer: Answer
) -> list[dict[str, Any]]:
    """A pending row's detections: one per verification of its answer, complete."""
    out = []
    for index, found in enumerate(answer):
        detection = complete(found.detection_type, found.title, found.content)
        if detection is None:
            continue
        out.append({
            **row,
            "id": detection_id(str(row["session_file"]), int(row["line_no"]), index),
            "detection_type": detection.detection_type,
            "user_quote": (found.user_quote or str(row["user_quote"]))[:QUOTE_CHARS],
            "assistant_statement": statement,
            "title": detection.title, "content": detection.content, "domain": detection.domain,
            "entities": list(detection.entities),
            r.STATEMENT_KNOWN: True, r.STATEMENT_PARTIAL: False, ASK: None,
        })
    return out
