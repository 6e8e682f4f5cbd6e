"""The LLM extractor before the commit: each exchange is asked once, its answer cached in the state.

Where the model is asked, and why there. ``process`` may run in a parse-pool process that has no
database, so it cannot tell an exchange already answered from a new one; and ``merge`` runs
inside the commit transaction on the daemon's one writer thread, where a request of up to
``timeout`` would hold every other processor's commits. So with ``extractor = "llm"``,
``process`` asks nothing: it emits one *pending* detection row per exchange worth asking
(`pending_rows`: the columns known from the append, plus ``_ask``, the person's words, a merge
field). The processor's `contract.Enriching` hook, `enrich`, runs in the verification worker's
own thread once the batch has been read, before it is handed to the writer, with a read-only
view of the committed state:

1. it resolves the statement each exchange answers -- from the file's stored trail when it began
   in an earlier append (none for a file read again from its start) -- exactly as the merge
   will (`merge.statement`), so an exchange is the same text whether its file was read whole
   or in parts (a reprocess reads it whole);
2. it looks the exchanges up in ``verification_llm_answers`` by sha256(prompt version, model,
   exchange) (`llm.Ask.key`), and asks the model only about the others, every file of the batch
   together (`LlmExtractor.ask`: batched, concurrent, within the budget);
3. it returns, per file, the detection rows its answers hold plus the file's new answers as rows
   of ``verification_llm_answers``. ``merge`` (`keep_answers`) writes those -- each key once,
   and not over one already stored -- and places the detections as usual: no request inside the
   transaction, so however slow the model is, only the verification processor waits.

The cache is one row per exchange, not per file: reprocess, rewrites, deletions and version bumps
delete a file's outputs (``verification_detections``, ``verification_context``) and never touch
it, so they send nothing already answered. An answer with nothing found is cached too (``[]``):
it is an answer. A failed request fails the files whose exchanges it carried (attempts, backoff,
parking) -- the batch's other files commit -- and a spent budget makes them wait (a `RetryLater`,
no attempt): in both cases nothing of theirs is cached or committed, and the cursor stays.
Answers that did arrive are kept in the extractor's memory, so the retry re-sends only what
failed.

kill -9: the new answers commit in the same transaction as the rows and cursors they produced,
so neither outlives the other. Of the two ways they could part, an answer stored without its
outputs would be harmless (a memo: the file is read again and the answer found); outputs stored
without their answer would not be -- the next reprocess would ask again and, the model's answer
not being a function of its input, could change them. One transaction rules both out. And an
answer the cache already holds is never asked again: the worker confirms its previous batch's
commit before it enriches the next, so what `enrich` looks up includes every answer committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sessiond.processors.contract import Pending, Reader, Rows, SessionFile, Tx
from sessiond.processors.verification import rows as r
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
    worst,
    worth_asking,
)
from sessiond.processors.verification.merge import statement
from sessiond.processors.verification.schema import DETECTIONS, LLM_ANSWERS
from sessiond.processors.verification.store import ContextRow, KnowledgeStore

ASK = r.ASK  # merge field of a pending row: the person's words, to be asked about

_IN = "IN (SELECT unnest(?::VARCHAR[]))"


def pending_rows(file: SessionFile, exchanges: Sequence[Exchange]) -> list[dict[str, Any]]:
    """One row per exchange worth asking: what ``process`` knows, the answer still to come."""
    out = []
    for ex in exchanges:
        if not worth_asking(ex.user.text):
            continue
        said = ex.statement
        out.append({
            "id": detection_id(file.key, ex.user.line, 0),
            "session_file": file.key,
            "source_user": file.user,
            "session_id": ex.user.session_id or file.key,
            "source_ref": f"{file.key}:{ex.user.line}",
            "line_no": ex.user.line,
            "user_quote": ex.user.text[:QUOTE_CHARS],
            "assistant_statement": said.text if said is not None else None,
            "extractor": LlmExtractor.name,
            "occurred_at": ex.user.timestamp,
            r.STATEMENT_KNOWN: ex.known,
            r.STATEMENT_PARTIAL: said is not None and said.partial,
            r.STATEMENT_MESSAGE: said.message_id if said is not None else None,
            ASK: ex.user.text[:USER_CHARS],
        })
    return out


def lookup(state: Reader, keys: Sequence[str]) -> dict[str, Answer]:
    """The cached answers of these keys (``verification_llm_answers``)."""
    if not keys:
        return {}
    rows = state.query(f"SELECT key, answer FROM {LLM_ANSWERS} WHERE key {_IN}", [sorted(set(keys))])
    return {str(key): decode(str(answer)) for key, answer in rows}


def answer_rows(answers: Mapping[str, Answer], model: str, now: datetime) -> list[dict[str, Any]]:
    """New answers as rows of ``verification_llm_answers``."""
    return [{"key": key, "prompt_version": PROMPT_VERSION, "model": model,
             "answer": encode(answer), "created_at": now} for key, answer in answers.items()]


class _Asking:
    """One file of the batch: its pending rows (by line), the rest, and what to ask."""

    def __init__(self, pending: Pending) -> None:
        self.given = pending
        detections = list(pending.rows.get(DETECTIONS, ()))
        self.pending = sorted((d for d in detections if d.get(ASK) is not None),
                              key=lambda d: int(d["line_no"]))
        self.others = [d for d in detections if d.get(ASK) is None]
        self.statements: list[str | None] = []
        self.asks: list[Ask] = []

    @property
    def needs_trail(self) -> bool:
        """Whether a statement may have begun in an earlier append (see `merge.statement`)."""
        return not self.given.reset and any(
            not d.get(r.STATEMENT_KNOWN) or d.get(r.STATEMENT_PARTIAL) for d in self.pending)

    def resolve(self, trail: list[ContextRow] | None) -> None:
        self.statements = [statement(d, trail) for d in self.pending]
        self.asks = [Ask.of(str(d[ASK]), s) for d, s in zip(self.pending, self.statements, strict=True)]


def enrich(
    state: Reader, batch: Sequence[Pending], extractor: LlmExtractor, now: datetime | None = None
) -> list[Mapping[str, Rows] | Exception]:
    """Per file of the batch: its rows with the pending ones replaced by the detections their
    answers hold, plus its new answers (``verification_llm_answers`` rows) -- or the failure of
    a request that carried one of its exchanges (a spent budget: `llm.LlmBudgetExhausted`)."""
    files = [_Asking(p) for p in batch]
    if not any(f.pending for f in files):
        return [p.rows for p in batch]  # nothing to ask: the rows as they came
    trails = KnowledgeStore(_ReadOnly(state)).trails(
        {f.given.file.key for f in files if f.needs_trail})
    for f in files:
        f.resolve(trails.get(f.given.file.key))
    keys = {ask: ask.key(extractor.model) for f in files for ask in f.asks}
    known = lookup(state, list(keys.values()))
    asked = extractor.ask(a for a, key in keys.items() if key not in known)
    stamp = now or datetime.now(UTC)
    out: list[Mapping[str, Rows] | Exception] = []
    for f in files:
        if not f.pending:
            out.append(f.given.rows)
            continue
        error = worst(asked.failed[a] for a in f.asks if a in asked.failed)
        if error is not None:
            out.append(error)
            continue
        found: list[Mapping[str, Any]] = list(f.others)
        for row, said, ask in zip(f.pending, f.statements, f.asks, strict=True):
            answer = known[keys[ask]] if keys[ask] in known else asked.answers[ask]
            found.extend(_detections(row, said, answer))
        fresh = {keys[a]: asked.answers[a] for a in f.asks if keys[a] not in known}
        rows: dict[str, Rows] = {**f.given.rows, DETECTIONS: found}
        if fresh:
            rows[LLM_ANSWERS] = answer_rows(fresh, extractor.model, stamp)
        out.append(rows)
    return out


def keep_answers(tx: Tx, batch: Mapping[str, Rows]) -> Mapping[str, Rows]:
    """In ``merge``: write the batch's new answers -- each key once (two files may share an
    exchange), none over a stored one -- and return the rest of the batch.

    A pending row that reaches the commit unanswered (`enrich` was not run on its batch) fails
    the batch: it would otherwise be stored as "nothing found"."""
    if any(d.get(ASK) is not None for d in batch.get(DETECTIONS, ())):
        raise RuntimeError("LLM exchanges reached the commit unanswered: the processor's enrich "
                           "hook did not run on this batch")
    answers = batch.get(LLM_ANSWERS)
    if not answers:
        return batch
    name = tx.relation(LLM_ANSWERS, answers)
    tx.execute(f"INSERT INTO {LLM_ANSWERS} BY NAME SELECT DISTINCT ON (key) * FROM {name} "
               f"WHERE key NOT IN (SELECT key FROM {LLM_ANSWERS})")
    return {t: rows for t, rows in batch.items() if t != LLM_ANSWERS}


class _ReadOnly:
    """A `Tx` over a `Reader`, for `KnowledgeStore`'s reads (the trails) before the commit."""

    def __init__(self, state: Reader) -> None:
        self._state = state

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._state.query(sql, params)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise TypeError("no write before the commit")

    def relation(self, table: str, rows: Rows) -> str:
        raise TypeError("no write before the commit")


def _detections(row: Mapping[str, Any], said: str | None, answer: Answer) -> list[dict[str, Any]]:
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
            "assistant_statement": said,
            "title": detection.title, "content": detection.content, "domain": detection.domain,
            "entities": list(detection.entities),
            r.STATEMENT_KNOWN: True, r.STATEMENT_PARTIAL: False, ASK: None,
        })
    return out
