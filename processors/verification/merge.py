"""Placing detections: each one becomes evidence of an existing item or creates a new one.

Runs inside the commit transaction (``VerificationProcessor.merge``), over the detections of
every file in the batch, in conversation order (timestamp, file, line). For each:

1. find the assistant statement if it is in an earlier append (`verification_context`), and
   finish a rules confirmation that was waiting for it (it may turn out not to be one);
2. exact duplicate -- an item with the same id (``kv_`` + sha256(title:content)) -- gets the
   evidence;
3. otherwise, unless it is a correction, a near duplicate in the same domain (see
   `similarity`) gets it; among several, the canonical one: approved > pending > oldest;
4. otherwise a new pending item, with advisory ``likely_duplicate`` relations to items sharing
   >= 2 entities, and for a correction ``possibly_corrects`` relations to the items it would
   have matched (corrections skip the fuzzy gate so they can overturn a fact, and a reviewer
   wants to see which fact).

Items created earlier in the same batch take part like stored ones. At most one evidence row per
(item, user, session) is the ``verification_evidence`` view's job, not this loop's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from processors.contract import Rows, Tx
from processors.verification import entities, similarity
from processors.verification import rows as r
from processors.verification.detection import CONFIDENCE, Detection, Finisher, Lead, complete
from processors.verification.exchanges import clip
from processors.verification.schema import CONTEXT, DETECTIONS, ITEMS, RELATIONS
from processors.verification.store import ContextRow, Item, KnowledgeStore

LIKELY_DUPLICATE = "likely_duplicate"
POSSIBLY_CORRECTS = "possibly_corrects"


_DETECTION_COLUMNS = (
    "id", "item_id", "session_file", "source_user", "session_id", "source_ref", "line_no",
    "detection_type", "user_quote", "assistant_statement", "title", "content", "domain",
    "entities", "extractor", "match_kind", "similarity", "occurred_at", "created_at",
)


@dataclass(frozen=True, slots=True)
class Placement:
    item: Item
    kind: str  # "new" | "exact" | "near"
    similarity: float | None


def _order(row: Mapping[str, Any]) -> tuple[float, str, int, str]:
    at = row.get("occurred_at")
    stamp = at.timestamp() if isinstance(at, datetime) else float("inf")
    return stamp, str(row["session_file"]), int(row["line_no"]), str(row["id"])


class Merger:
    def __init__(self, tx: Tx, finisher: Finisher, now: datetime | None = None) -> None:
        self.store = KnowledgeStore(tx)
        self.finish = finisher
        self.now = now or datetime.now(UTC)
        self._new: dict[str, Item] = {}
        self._domains: dict[str, list[Item]] = {}
        self._items: list[dict[str, Any]] = []
        self._relations: dict[tuple[str, str, str], float | None] = {}

    # -- the loop ------------------------------------------------------------------------------

    def run(self, batch: Mapping[str, Rows]) -> dict[str, list[dict[str, Any]]]:
        contexts = [dict(c) for c in batch.get(CONTEXT, ())]
        placed: list[dict[str, Any]] = []
        for row in sorted(batch.get(DETECTIONS, ()), key=_order):
            statement = self._statement(row, contexts)
            detection = self._detection(row, statement)
            if detection is None:
                continue
            where = self._place(detection, row)
            placed.append(self._evidence(row, detection, statement, where))
        self._prune(contexts)
        relations = [
            {"item_id": a, "related_id": b, "relation": kind, "score": score,
             "created_at": self.now}
            for (a, b, kind), score in sorted(self._relations.items())
        ]
        return {DETECTIONS: placed, CONTEXT: contexts, ITEMS: self._items, RELATIONS: relations}

    def _prune(self, contexts: list[dict[str, Any]]) -> None:
        """Keep `verification_context` at about one row per file: the newest tail wins."""
        newest: dict[str, dict[str, Any]] = {}
        for c in contexts:
            if c["session_file"] not in newest or c["line_no"] > newest[c["session_file"]]["line_no"]:
                newest[c["session_file"]] = c
        self.store.prune_context(
            [(file, int(c["line_no"]), c["message_id"]) for file, c in sorted(newest.items())])

    # -- 1. the statement and the detection ----------------------------------------------------

    def _statement(self, row: Mapping[str, Any], contexts: list[dict[str, Any]]) -> str | None:
        file, local = str(row["session_file"]), row.get("assistant_statement")
        if row.get(r.STATEMENT_KNOWN):
            mid = row.get(r.STATEMENT_MESSAGE)
            if row.get(r.STATEMENT_PARTIAL) and mid:
                # The message began in an earlier append: prepend the parts stored then.
                start = int(row[r.STATEMENT_LINE])
                earlier = self._before(file, start, contexts)
                if earlier is not None and earlier.role == "assistant" and earlier.message_id == mid:
                    parts = self._parts(file, str(mid), start, contexts)
                    return clip("\n".join([*parts, str(local or "")]))
            return None if local is None else str(local)
        line = int(row["line_no"])
        before = self._before(file, line, contexts)
        if before is None or before.role != "assistant":
            return None  # nothing said yet, or the person spoke last
        if before.message_id is None:
            return before.text
        return clip("\n".join(self._parts(file, before.message_id, line, contexts))) or None

    def _before(self, file: str, line: int, contexts: list[dict[str, Any]]) -> ContextRow | None:
        """The latest context row before ``line``: stored, or from this batch (if newer)."""
        stored = self.store.context_before(file, line)
        batch = [c for c in contexts if c["session_file"] == file and c["line_no"] < line]
        if batch:
            c = max(batch, key=lambda c: c["line_no"])
            if stored is None or c["line_no"] > stored.line:
                return ContextRow(c["line_no"], c["role"], c["message_id"], c["text"])
        return stored

    def _parts(self, file: str, mid: str, before: int, contexts: list[dict[str, Any]]) -> list[str]:
        """The parts of one assistant message written before ``line``, stored or in this batch."""
        parts = self.store.message_parts(file, mid, before)
        parts += [(c["line_no"], c["text"]) for c in contexts
                  if c["session_file"] == file and c["message_id"] == mid
                  and c["line_no"] < before and c["text"] is not None]
        return [text for _, text in sorted(parts)]

    def _detection(self, row: Mapping[str, Any], statement: str | None) -> Detection | None:
        if row.get("title") is not None:
            return Detection(row["detection_type"], row["title"], row["content"], row["domain"],
                             tuple(row["entities"] or ()))
        lead = Lead(row[r.LEAD_STRENGTH], row.get(r.LEAD_FACT))
        done = self.finish(lead, statement)
        return None if done is None else complete(row["detection_type"], *done)

    # -- 2-4. where it goes --------------------------------------------------------------------

    def _known(self, item_id: str) -> Item | None:
        return self._new.get(item_id) or self.store.item(item_id)

    def _domain(self, domain: str) -> list[Item]:
        if domain not in self._domains:
            self._domains[domain] = self.store.in_domain(domain)
        return self._domains[domain]

    def _near(self, d: Detection) -> list[tuple[Item, float]]:
        mine = similarity.normalise(d.title, d.content)
        out = []
        for item in self._domain(d.domain):
            score = similarity.ratio(mine, similarity.normalise(item.title, item.content))
            if similarity.is_near(score, entities.shared(d.entities, item.entities)):
                out.append((item, score))
        return out

    def _place(self, d: Detection, row: Mapping[str, Any]) -> Placement:
        existing = self._known(d.item_id)
        if existing is not None:
            return Placement(existing, "exact", 1.0)
        near = self._near(d)
        if near and d.detection_type != "correction":
            item, score = min(near, key=lambda pair: pair[0].rank)
            return Placement(item, "near", round(score, 4))
        item = self._create(d, row)
        for other, score in near:  # only a correction gets here with near matches
            self._relate(item.id, other.id, POSSIBLY_CORRECTS, round(score, 4), symmetric=False)
        keys = sorted({entities.key(e) for e in d.entities})
        others = {o.id: o for o in self.store.sharing_entities(keys, similarity.MIN_SHARED_ENTITIES)}
        others.update({o.id: o for o in self._new.values()
                       if entities.shared(d.entities, o.entities) >= similarity.MIN_SHARED_ENTITIES})
        for other in others.values():
            if other.id != item.id:
                n = entities.shared(d.entities, other.entities)
                self._relate(item.id, other.id, LIKELY_DUPLICATE, float(n), symmetric=True)
        return Placement(item, "new", None)

    def _create(self, d: Detection, row: Mapping[str, Any]) -> Item:
        at = row.get("occurred_at")
        created = at if isinstance(at, datetime) else self.now
        item = Item(d.item_id, d.title, d.content, d.domain, d.entities, "pending", created)
        self._new[item.id] = item
        self._domain(d.domain).append(item)
        self._items.append({
            "id": item.id, "title": d.title, "content": d.content, "domain": d.domain,
            "entities": list(d.entities), "detection_type": d.detection_type,
            "confidence": CONFIDENCE[d.detection_type], "status": "pending",
            "source_ref": row["source_ref"], "created_at": created,
        })
        return item

    def _relate(self, a: str, b: str, kind: str, score: float | None, *, symmetric: bool) -> None:
        if symmetric and b < a:
            a, b = b, a
        self._relations.setdefault((a, b, kind), score)

    def _evidence(
        self, row: Mapping[str, Any], d: Detection, statement: str | None, where: Placement
    ) -> dict[str, Any]:
        out = {k: row.get(k) for k in _DETECTION_COLUMNS}
        out.update(
            item_id=where.item.id, title=d.title, content=d.content, domain=d.domain,
            entities=list(d.entities), assistant_statement=statement,
            match_kind=where.kind, similarity=where.similarity, created_at=self.now,
        )
        return out

