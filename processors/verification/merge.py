"""Placing a batch's detections, inside the commit transaction (``VerificationProcessor.merge``).

For the detections of every file in the batch (one append per file):

1. the statement a detection answers, when it began in an earlier append: from the file's
   stored trail (`verification_context`), joined with what the append holds; then a rules
   confirmation that was waiting for it is finished (it may turn out not to be one);
2. each file's trail moves on: the append's trail replaces the stored one, or extends it when
   the same assistant message goes on;
3. the detections join the knowledge base (`knowledge.Knowledge`): items are the connected
   components of the texts detections say (`clusters`), whatever order they arrive in.

At most one evidence row per (item, user, session) is the ``verification_evidence`` view's job,
not this loop's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import structlog

from sessiond.daemon.events import LINE_UNREADABLE
from sessiond.processors.contract import Rows, Tx, describe
from sessiond.processors.verification import learned
from sessiond.processors.verification import rows as r
from sessiond.processors.verification.claims import anchored, one_reading
from sessiond.processors.verification.clusters import Member, Text
from sessiond.processors.verification.detection import Detection, Finisher, Lead, complete
from sessiond.processors.verification.exchanges import clip
from sessiond.processors.verification.knowledge import Knowledge
from sessiond.processors.verification.rules import RulesExtractor
from sessiond.processors.verification.schema import CONTEXT, DETECTIONS
from sessiond.processors.verification.store import ContextRow, KnowledgeStore

# A turn the rules cannot finish here is logged as the framework logs one ``process`` skipped
# (`contract.PartlyMapped`); the framework's ``bad_lines`` counter is not the merge's to move.
_log = structlog.get_logger("sessiond")

_DETECTION_COLUMNS = (
    "id", "session_file", "source_user", "session_id", "source_ref", "line_no",
    "detection_type", "user_quote", "extractor", "occurred_at",
)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _continued(trail: list[ContextRow] | None, message_id: object) -> list[ContextRow]:
    """The stored parts an assistant message that began with an append continues, if any."""
    if (trail and message_id is not None and trail[-1].role == "assistant"
            and trail[-1].message_id == message_id):
        return trail
    return []


def statement(row: Mapping[str, Any], trail: list[ContextRow] | None) -> str | None:
    """The whole statement a detection row answers, given its file's stored trail (None when
    there is none): what the append saw, joined to the start of its message in the trail when
    it began in an earlier append, or the trail's message when the append began with the
    person's turn. (The LLM extractor resolves an exchange the same way before asking.)"""
    local = row.get("assistant_statement")
    if row.get(r.STATEMENT_KNOWN):
        if row.get(r.STATEMENT_PARTIAL):  # the message began in an earlier append?
            earlier = _continued(trail, row.get(r.STATEMENT_MESSAGE))
            if earlier:
                return clip("\n".join([*(str(p.text) for p in earlier), str(local or "")]))
        return None if local is None else str(local)
    if not trail or trail[-1].role != "assistant":
        return None  # nothing said yet, or the person spoke last
    return clip("\n".join(str(p.text) for p in trail)) or None


class Merger:
    def __init__(self, tx: Tx, finisher: Finisher, now: datetime | None = None, *, second_look: bool = False) -> None:
        self.store = KnowledgeStore(tx)
        self.finish = finisher
        self.second_look = second_look  # `learned.looked_again` on what `finisher` finishes
        self.now = now or datetime.now(UTC)

    def run(self, batch: Mapping[str, Rows]) -> dict[str, Any]:
        contexts = batch.get(CONTEXT, ())
        detections = batch.get(DETECTIONS, ())
        need = {str(d["session_file"]) for d in detections
                if not d.get(r.STATEMENT_KNOWN) or d.get(r.STATEMENT_PARTIAL)}
        firsts: dict[str, Mapping[str, Any]] = {}
        for c in contexts:
            file = str(c["session_file"])
            if file not in firsts or c["line_no"] < firsts[file]["line_no"]:
                firsts[file] = c
        # the stored trail is read only where it can matter: a statement that began earlier, or
        # an append whose trail may continue the stored one; any other trail is replaced
        trails = self.store.trails(need | {f for f, c in firsts.items() if c.get(r.CONTINUES)})
        found: list[tuple[Mapping[str, Any], Detection, str | None]] = []
        ordered = sorted(detections, key=lambda d: (d["session_file"], d["line_no"], d["id"]))
        for (file, line), turn in groupby(ordered, key=lambda d: (d["session_file"], d["line_no"])):
            rows = list(turn)
            said = statement(rows[0], trails.get(str(file)))  # the same for a turn's rows
            try:
                found += [(row, d, said) for row, d in self._detections(rows, said)]
            except Exception as exc:  # as in `process`: the turn is skipped, the batch goes on
                _log.warning(LINE_UNREADABLE, processor="verification", user=rows[0]["source_user"],
                             file=file, line=line, kind="unreadable", stage="merge",
                             detail=describe(exc))
        continued = {f for f, first in firsts.items()
                     if first.get(r.CONTINUES) and _continued(trails.get(f), first["message_id"])}
        self.store.forget_trails([f for f in firsts if f not in continued])
        appended: dict[str, list[ContextRow]] = {}
        for c in contexts:
            appended.setdefault(str(c["session_file"]), []).append(ContextRow(
                int(c["line_no"]), str(c["role"]), _text(c.get("message_id")), _text(c.get("text"))))
        self.store.keep_trails(appended, continued)
        return {DETECTIONS: self._place(found), CONTEXT: contexts}

    # -- 1. the detection (its statement: `statement`) -----------------------------------------

    def _detections(
        self, rows: list[Mapping[str, Any]], said: str | None
    ) -> list[tuple[Mapping[str, Any], Detection]]:
        """One turn's detections. Where its statement was not known when its append was read,
        the learned judgement is made here as `RulesExtractor.extract` makes it otherwise:
        when none of the rules' finished, what it adds."""
        first = rows[0]
        pending = [row for row in rows if row.get(r.LEAD_STRENGTH) == "learned"]
        done = [(row, d) for row in rows if row.get(r.LEAD_STRENGTH) != "learned"
                and (d := self._detection(row, said)) is not None]
        if first.get("extractor") != RulesExtractor.name or (
                first.get(r.STATEMENT_KNOWN) and not first.get(r.STATEMENT_PARTIAL)):
            return done  # judged when the append was read (or the LLM's)
        if done:
            keep = one_reading([(d.detection_type, d.content) for _, d in done])
            return [pair for pair, kept in zip(done, keep, strict=True) if kept]
        added = learned.decide(said, str(pending[0]["user_quote"])) if pending else None
        detection = None if added is None else complete(*added)
        return [] if detection is None else [(pending[0], detection)]

    def _detection(self, row: Mapping[str, Any], statement: str | None) -> Detection | None:
        if row.get("title") is not None:
            return Detection(row["detection_type"], row["title"], row["content"], row["domain"],
                             tuple(row["entities"] or ()))
        lead = Lead(row[r.LEAD_STRENGTH], row.get(r.LEAD_FACT))
        done = self.finish(lead, statement)
        if done is None:
            return None
        kind = row["detection_type"]
        if self.second_look:  # as `rules._finished` looks when the statement is known at once
            kind = learned.looked_again(kind, lead.strength, statement, str(row["user_quote"]))
        if kind is None:
            return None
        return complete(*anchored(kind, *done, str(row["user_quote"]), statement))

    # -- 3. into the knowledge base ------------------------------------------------------------

    def _place(
        self, found: list[tuple[Mapping[str, Any], Detection, str | None]]
    ) -> list[dict[str, Any]]:
        new = []
        for row, d, _ in found:
            member = Member(str(row["id"]), d.item_id, d.detection_type, row.get("occurred_at"),
                            str(row["session_file"]), int(row["line_no"]), str(row["source_ref"]))
            new.append((member, Text(d.item_id, d.title, d.content, d.domain, d.entities)))
        placements = Knowledge(self.store, self.now).add(new)
        out = []
        for row, d, statement in found:
            where = placements[str(row["id"])]
            placed = {k: row.get(k) for k in _DETECTION_COLUMNS}
            placed.update(
                item_id=where.item_id, text_id=d.item_id, title=d.title, content=d.content,
                detection_type=d.detection_type,  # a learned row's is decided here
                extractor=learned.NAME if row.get(r.LEAD_STRENGTH) == "learned" else row.get("extractor"),
                domain=d.domain, entities=list(d.entities), assistant_statement=statement,
                match_kind=where.match_kind, similarity=where.similarity, created_at=self.now,
            )
            out.append(placed)
        return out
