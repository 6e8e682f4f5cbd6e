"""People's decisions about knowledge items -- approve, reject -- and what a reviewer reads.

A decision is kept by item id in ``knowledge_reviews`` (`schema`): the status, who (the caller's
uid and user name) and when, and the item as it was reviewed. It is an input, like the files'
bytes: every re-clustering reads statuses from it, so a decision outlives reprocess, rewrites and
version bumps; the approved (else rejected) text anchors its item (`clusters`), so the id stays
the item's and later evidence joins it without making it pending again; and an item no detection
says any more stays, as reviewed, with no evidence.

A decision re-clusters the item it is about in the same transaction (`Knowledge.review`): the
caller holds the verification processor's pass lock, so no batch of it commits meanwhile.
"""

from __future__ import annotations

import contextlib
import pwd
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from sessiond.processors.verification.knowledge import Knowledge
from sessiond.processors.verification.schema import (
    DETECTIONS,
    EVIDENCE,
    ITEMS,
    RELATIONS,
    REVIEWS,
)
from sessiond.processors.verification.store import PENDING, KnowledgeStore

STATUSES = (PENDING, "approved", "rejected")
DECISIONS = ("approved", "rejected")


class UnknownItem(LookupError):
    def __str__(self) -> str:
        return f"no knowledge item {self.args[0]!r}"


class NoKnowledge(LookupError):
    def __str__(self) -> str:
        return ("this state file has no knowledge items yet (run the daemon with the "
                "verification processor)")


@dataclass(frozen=True, slots=True)
class Reviewer:
    uid: int
    name: str | None  # None: the uid has no user name here

    @classmethod
    def of(cls, uid: int) -> Reviewer:
        try:
            return cls(uid, pwd.getpwuid(uid).pw_name)
        except KeyError:
            return cls(uid, None)


class _Tx:
    """`processors.contract.Tx` over a connection whose transaction this module opened."""

    def __init__(self, con: Any) -> None:
        self._con = con

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._con.execute(sql, list(params)).fetchall())

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._con.execute(sql, list(params))

    def relation(self, table: str, rows: Any) -> str:
        raise NotImplementedError("a review has no batch of rows")


def _iso(value: object) -> str | None:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else None


def _check(con: Any) -> None:
    names = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if not {ITEMS, REVIEWS, DETECTIONS} <= names:
        raise NoKnowledge()


# -- decisions -------------------------------------------------------------------------------

_SNAPSHOT = ("title", "content", "domain", "entities", "detection_type", "confidence",
             "source_ref", "created_at")


def decide(con: Any, item_id: str, status: str, reviewer: Reviewer,
           now: datetime | None = None) -> dict[str, Any]:
    """Record ``reviewer``'s decision about an item (`UnknownItem` if there is none by that id)
    and re-cluster it, in one transaction on ``con``; returns the decision."""
    if status not in DECISIONS:
        raise ValueError(f"a decision is one of {', '.join(DECISIONS)}, not {status!r}")
    _check(con)
    now = now or datetime.now(UTC)
    con.execute("BEGIN TRANSACTION")
    try:
        previous = _record(con, item_id, status, reviewer, now)
        Knowledge(KnowledgeStore(_Tx(con)), now).review(item_id)
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # keep the real error
            con.execute("ROLLBACK")
        raise
    return {"id": item_id, "status": status, "previous": previous, "reviewer": reviewer.name,
            "reviewer_uid": reviewer.uid, "reviewed_at": _iso(now)}


def _record(con: Any, item_id: str, status: str, reviewer: Reviewer, now: datetime) -> str:
    """Write the decision (with the item as it is now); returns the status it had."""
    columns = ", ".join(_SNAPSHOT)
    item = con.execute(f"SELECT {columns} FROM {ITEMS} WHERE id = ?", [item_id]).fetchall()
    prior = con.execute(f"SELECT status, {columns} FROM {REVIEWS} WHERE item_id = ?",
                        [item_id]).fetchall()
    if not item and not prior:
        raise UnknownItem(item_id)
    snapshot = list(item[0] if item else prior[0][1:])  # a decided item whose row was lost
    if prior:
        con.execute(
            f"UPDATE {REVIEWS} SET status = ?, reviewer_uid = ?, reviewer = ?, reviewed_at = ?, "
            + ", ".join(f"{c} = ?" for c in _SNAPSHOT) + " WHERE item_id = ?",
            [status, reviewer.uid, reviewer.name, now, *snapshot, item_id])
        return str(prior[0][0])
    con.execute(
        f"INSERT INTO {REVIEWS} (item_id, status, reviewer_uid, reviewer, reviewed_at, {columns}) "
        f"VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(_SNAPSHOT))})",
        [item_id, status, reviewer.uid, reviewer.name, now, *snapshot])
    return PENDING


# -- reading ---------------------------------------------------------------------------------

def _review(name: object, uid: object, at: object) -> dict[str, Any]:
    return {"reviewer": name, "reviewer_uid": uid, "reviewed_at": _iso(at)}


def listing(con: Any, status: str | None = None) -> dict[str, Any]:
    """Every item (or those with ``status``), newest first, with its decision."""
    _check(con)
    rows = con.execute(
        f"""
        SELECT k.id, k.title, k.domain, k.detection_type, k.confidence, k.status, k.detections,
               coalesce(e.n, 0), k.created_at, r.item_id IS NOT NULL, r.reviewer,
               r.reviewer_uid, r.reviewed_at
        FROM {ITEMS} k
        LEFT JOIN (SELECT item_id, count(*) AS n FROM {EVIDENCE} GROUP BY 1) e ON e.item_id = k.id
        LEFT JOIN {REVIEWS} r ON r.item_id = k.id
        WHERE ?::VARCHAR IS NULL OR k.status = ?
        ORDER BY k.created_at DESC, k.id
        """, [status, status]).fetchall()
    items = []
    by_status: dict[str, int] = {}
    for (ident, title, domain, kind, conf, st, dets, ev, created, decided, *who) in rows:
        by_status[st] = by_status.get(st, 0) + 1
        items.append({
            "id": ident, "title": title, "domain": domain, "detection_type": kind,
            "confidence": conf, "status": st, "detections": dets, "evidence": ev,
            "created_at": _iso(created), "review": _review(*who) if decided else None,
        })
    return {"items": items, "totals": {"items": len(items), "by_status": dict(sorted(by_status.items()))},
            "filters": {"status": status}}


def show(con: Any, item_id: str) -> dict[str, Any]:
    """The item, its decision, its evidence (every detection placed in it: file, line, quote;
    ``counted`` marks the one per user and session the evidence view counts), the exchanges they
    came from, and its relations."""
    _check(con)
    found = con.execute(
        f"SELECT k.id, k.title, k.content, k.domain, k.entities, k.detection_type, k.confidence, "
        f"k.status, k.source_ref, k.created_at, k.detections, r.item_id IS NOT NULL, r.reviewer, "
        f"r.reviewer_uid, r.reviewed_at FROM {ITEMS} k LEFT JOIN {REVIEWS} r ON r.item_id = k.id "
        "WHERE k.id = ?", [item_id]).fetchall()
    if not found:
        raise UnknownItem(item_id)
    (ident, title, content, domain, ents, kind, conf, status, ref, created, dets, decided,
     *who) = found[0]
    detections = con.execute(
        f"""
        SELECT d.id, d.source_user, d.session_id, d.session_file, d.line_no, d.detection_type,
               d.user_quote, d.assistant_statement, d.title, d.match_kind, d.similarity,
               d.occurred_at, d.id IN (SELECT id FROM {EVIDENCE} WHERE item_id = ?), d.extractor
        FROM {DETECTIONS} d WHERE d.item_id = ?
        ORDER BY d.occurred_at NULLS LAST, d.session_file, d.line_no, d.id
        """, [item_id, item_id]).fetchall()
    relations = con.execute(
        f"SELECT CASE WHEN item_id = ? THEN related_id ELSE item_id END, relation, score, "
        f"item_id = ? FROM {RELATIONS} WHERE item_id = ? OR related_id = ? ORDER BY ALL",
        [item_id, item_id, item_id, item_id]).fetchall()
    evidence, exchanges = [], []
    for (det, user, session, file, line, dtype, quote, statement, text, match, sim, at,
         counted, found_by) in detections:
        evidence.append({
            "id": det, "user": user, "session_id": session, "session_file": file, "line": line,
            "detection_type": dtype, "quote": quote, "text": text, "match": match,
            "similarity": sim, "occurred_at": _iso(at), "counted": bool(counted),
            "extractor": found_by,  # rules, learned (the model, where no rule found it) or llm
        })
        exchanges.append({"session_file": file, "line": line, "assistant": statement,
                          "user": quote, "occurred_at": _iso(at)})
    return {
        "item": {"id": ident, "title": title, "content": content, "domain": domain,
                 "entities": list(ents or ()), "detection_type": kind, "confidence": conf,
                 "status": status, "source_ref": ref, "created_at": _iso(created),
                 "detections": dets, "has_evidence": bool(dets)},
        "review": _review(*who) if decided else None,
        "evidence": evidence,
        "exchanges": exchanges,
        "relations": [{"id": other, "relation": rel, "score": score,
                       "direction": "from" if outgoing else "to"}
                      for other, rel, score, outgoing in relations],
    }


# -- text ------------------------------------------------------------------------------------

def _who(review: dict[str, Any] | None) -> str:
    if review is None:
        return ""
    name = review["reviewer"] or (f"uid {review['reviewer_uid']}"
                                  if review["reviewer_uid"] is not None else "before sessiond")
    at = (review["reviewed_at"] or "")[:16].replace("T", " ")
    return f"by {name}" + (f" {at}" if at else "")


def _line(text: str, width: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def render_list(body: dict[str, Any]) -> str:
    totals = body["totals"]
    counts = ", ".join(f"{k} {v}" for k, v in totals["by_status"].items())
    lines = [f"knowledge items: {totals['items']}" + (f" ({counts})" if counts else "")]
    for item in body["items"]:
        evidence = f"evidence {item['evidence']}" if item["detections"] else "no evidence"
        lines.append(f"{item['id']}  {item['status']:<8}  {evidence:<12}  {item['domain']:<8}  "
                     f"{item['title'][:80]}" + (f"  ({_who(item['review'])})" if item["review"] else ""))
    return "\n".join(lines) + "\n"


def render_item(body: dict[str, Any]) -> str:
    item, review = body["item"], body["review"]
    lines = [f"{item['id']}  {item['status']}" + (f" {_who(review)}" if review else ""),
             f"  {item['title']}"]
    if item["content"] != item["title"]:
        lines.append(f"  {item['content']}")
    lines.append(f"  {item['domain']} · {item['detection_type']} · conf {item['confidence']:.2f}"
                 + (f" · entities: {', '.join(item['entities'])}" if item["entities"] else ""))
    if not item["has_evidence"]:
        lines.append("  no evidence: no detection says this any more (kept: it was reviewed)")
    for ev, ex in zip(body["evidence"], body["exchanges"], strict=True):
        match = ev["match"] + (f" {ev['similarity']:.2f}" if ev["match"] == "near" else "")
        lines += ["", f"  {ev['session_file']}:{ev['line']}  {ev['user']}  {ev['detection_type']}  "
                      f"{match}  by {ev['extractor']}" + ("" if ev["counted"] else "  (same session as above)")]
        if ex["assistant"]:
            lines.append(f"    assistant: {_line(ex['assistant'])}")
        lines.append(f"    {ev['user']}: {_line(ex['user'])}")
    for rel in body["relations"]:
        lines.append(f"  {rel['relation']} {'->' if rel['direction'] == 'from' else '<-'} {rel['id']}")
    return "\n".join(lines) + "\n"
