"""Knowledge items found in sessions, newest first, with evidence counts per user and per type."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

import duckdb
import orjson

from sessiond.processors.verification.detection import DETECTION_TYPES
from sessiond.processors.verification.schema import EVIDENCE, ITEMS, REVIEWS

EXIT_OK, EXIT_USAGE = 0, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", help="only evidence from this user (and the items it supports)")
    parser.add_argument("--type", choices=DETECTION_TYPES, dest="detection_type",
                        help="only evidence of this detection type")
    parser.add_argument("--status", help="only items with this review status (pending, approved, ...)")
    parser.add_argument("--domain", help="only items of this domain (finance, data, ...)")
    parser.add_argument("--limit", type=int, default=50,
                        help="newest N items (default 50; 0 = all)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _refuse(out: TextIO, message: str) -> int:
    out.write(f"sessiond: {message}\n")
    return EXIT_USAGE


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()}


def _reviews(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Who decided about these items, and when (a state file older than reviews has none)."""
    if REVIEWS not in _tables(con):
        return {}
    rows = con.execute(
        f"SELECT item_id, reviewer, reviewer_uid, reviewed_at FROM {REVIEWS} "
        "WHERE item_id IN (SELECT unnest(?::VARCHAR[]))", [ids]).fetchall()
    return {i: {"reviewer": name, "reviewer_uid": uid, "reviewed_at": _iso(at)}
            for i, name, uid, at in rows}


def _iso(value: object) -> str | None:
    """UTC ISO-8601, whatever the connection's TimeZone setting."""
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else None


def query(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> dict[str, Any]:
    """The report as plain data (what ``--json`` prints)."""
    user, kind = args.user, args.detection_type
    status, domain = args.status, args.domain
    evidence_filter = "(?::VARCHAR IS NULL OR source_user = ?) AND (?::VARCHAR IS NULL OR detection_type = ?)"
    ev_params = [user, user, kind, kind]
    limit = args.limit if args.limit and args.limit > 0 else None
    items = con.execute(
        f"""
        WITH ev AS (SELECT * FROM {EVIDENCE} WHERE {evidence_filter})
        SELECT k.id, k.title, k.content, k.domain, k.entities, k.detection_type, k.confidence,
               k.status, k.source_ref, k.created_at, count(ev.id) AS evidence,
               max(coalesce(ev.occurred_at, ev.created_at)) AS last_seen
        FROM {ITEMS} k LEFT JOIN ev ON ev.item_id = k.id
        WHERE (?::VARCHAR IS NULL OR k.status = ?) AND (?::VARCHAR IS NULL OR k.domain = ?)
        GROUP BY ALL
        HAVING count(ev.id) > 0 OR (?::VARCHAR IS NULL AND ?::VARCHAR IS NULL)
        ORDER BY k.created_at DESC, k.id
        """,
        [*ev_params, status, status, domain, domain, user, kind],
    ).fetchall()
    shown = items[:limit] if limit is not None else items
    ids = [r[0] for r in shown]
    rows = con.execute(
        f"""
        SELECT item_id, source_user, detection_type, session_file, line_no, session_id,
               user_quote, occurred_at
        FROM {EVIDENCE}
        WHERE item_id IN (SELECT unnest(?::VARCHAR[])) AND {evidence_filter}
        ORDER BY occurred_at DESC NULLS LAST, session_file, line_no
        """,
        [ids, *ev_params],
    ).fetchall()
    evidence: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for item_id, ev_user, ev_type, file, line, session, quote, at in rows:
        evidence[item_id].append({
            "user": ev_user, "detection_type": ev_type, "session_file": file, "line": line,
            "session_id": session, "user_quote": quote, "occurred_at": _iso(at),
        })
    reviews = _reviews(con, ids)
    out_items = []
    for (ident, title, content, dom, ents, dtype, conf, st, ref, created, count, last) in shown:
        by_user: dict[str, int] = {}
        by_type: dict[str, int] = {}
        for e in evidence[ident]:
            by_user[e["user"]] = by_user.get(e["user"], 0) + 1
            by_type[e["detection_type"]] = by_type.get(e["detection_type"], 0) + 1
        out_items.append({
            "id": ident, "title": title, "content": content, "domain": dom,
            "entities": list(ents or []), "detection_type": dtype, "confidence": conf,
            "status": st, "review": reviews.get(ident), "source_ref": ref,
            "created_at": _iso(created),
            "last_seen": _iso(last),
            "evidence": {"total": count, "by_user": dict(sorted(by_user.items())),
                         "by_type": dict(sorted(by_type.items()))},
            "evidence_rows": evidence[ident],
        })
    return {
        "items": out_items,
        "totals": _totals(items, con, evidence_filter, ev_params),
        "shown": len(out_items),
        "filters": {"user": user, "type": kind, "status": status, "domain": domain,
                    "limit": limit},
    }


def _totals(items: Sequence[tuple[Any, ...]], con: duckdb.DuckDBPyConnection,
            evidence_filter: str, ev_params: list[Any]) -> dict[str, Any]:
    by_status: dict[str, int] = {}
    by_type: dict[str, int] = {}
    for row in items:
        by_status[row[7]] = by_status.get(row[7], 0) + 1
        by_type[row[5]] = by_type.get(row[5], 0) + 1
    ids = [r[0] for r in items]
    users = con.execute(
        f"SELECT source_user, count(*) FROM {EVIDENCE} WHERE item_id IN "
        f"(SELECT unnest(?::VARCHAR[])) AND {evidence_filter} GROUP BY 1 ORDER BY 1",
        [ids, *ev_params],
    ).fetchall()
    return {
        "items": len(items), "items_by_status": dict(sorted(by_status.items())),
        "items_by_type": dict(sorted(by_type.items())),
        "evidence": sum(int(n) for _, n in users),
        "evidence_by_user": {str(u): int(n) for u, n in users},
    }


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def _reviewer(review: dict[str, Any] | None) -> str:
    if review is None or (review["reviewer"] is None and review["reviewer_uid"] is None):
        return ""
    return f" by {review['reviewer'] or 'uid ' + str(review['reviewer_uid'])}"


def render(report: dict[str, Any]) -> str:
    totals = report["totals"]
    head = (f"knowledge items: {totals['items']}"
            + (f" ({_counts(totals['items_by_status'])})" if totals["items"] else "")
            + f" · evidence: {totals['evidence']}"
            + (f" ({_counts(totals['evidence_by_user'])})" if totals["evidence"] else ""))
    lines = [head]
    if report["shown"] < totals["items"]:
        lines.append(f"showing the newest {report['shown']} (use --limit 0 for all)")
    for item in report["items"]:
        created = (item["created_at"] or "")[:16].replace("T", " ")
        ev = item["evidence"]
        lines += [
            "",
            f"{item['id']}  {created}  {item['domain']}  {item['detection_type']}  "
            f"conf {item['confidence']:.2f}  {item['status']}" + _reviewer(item["review"]),
            f"  {item['title']}",
        ]
        if item["content"] != item["title"]:
            lines.append(f"  {item['content'][:300]}")
        lines.append(f"  evidence {ev['total']}: {_counts(ev['by_user']) or '-'}"
                     + (f" · {_counts(ev['by_type'])}" if ev["by_type"] else ""))
        if item["entities"]:
            lines.append(f"  entities: {', '.join(item['entities'])}")
        lines.append(f"  source: {item['source_ref']}")
    return "\n".join(lines) + "\n"


def run(con: duckdb.DuckDBPyConnection, args: argparse.Namespace, out: TextIO) -> int:
    """Write the report to ``out``; 0 on success, 2 when there is nothing to report from."""
    if not {ITEMS, EVIDENCE} <= _tables(con):
        return _refuse(out, "this state file has no verification data yet (run the daemon with "
                            "the verification processor)")
    report = query(con, args)
    if args.json:
        out.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out.write(render(report))
    return EXIT_OK
