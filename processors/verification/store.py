"""The lookups ``merge`` needs inside the commit transaction, as parameterised SQL.

A narrow interface over `processors.contract.Tx`: existing knowledge items (by id, by domain,
by shared entities), the conversation context an earlier append left behind, and the cleanup
after a file's rows were deleted. Every value from a transcript is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from processors.contract import Tx
from processors.verification.schema import CONTEXT, DETECTIONS, ITEMS, RELATIONS

STATUS_RANK = {"approved": 0, "pending": 1}  # anything else (rejected, ...) ranks after


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    title: str
    content: str
    domain: str
    entities: tuple[str, ...]
    status: str
    created_at: datetime | None

    @property
    def rank(self) -> tuple[int, float, str]:
        """Canonical order: approved > pending > others, then oldest, then id."""
        stamp = self.created_at.timestamp() if self.created_at is not None else float("inf")
        return STATUS_RANK.get(self.status, 2), stamp, self.id


@dataclass(frozen=True, slots=True)
class ContextRow:
    line: int
    role: str
    message_id: str | None
    text: str | None


_ITEM_COLUMNS = "id, title, content, domain, entities, status, created_at"


def _item(row: Sequence[object]) -> Item:
    ident, title, content, domain, ents, status, created = row
    return Item(str(ident), str(title), str(content), str(domain),
                tuple(str(e) for e in (ents or ())),  # type: ignore[attr-defined]
                str(status), created if isinstance(created, datetime) else None)


class KnowledgeStore:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def item(self, item_id: str) -> Item | None:
        rows = self._tx.query(f"SELECT {_ITEM_COLUMNS} FROM {ITEMS} WHERE id = ? LIMIT 1", [item_id])
        return _item(rows[0]) if rows else None

    def in_domain(self, domain: str) -> list[Item]:
        rows = self._tx.query(f"SELECT {_ITEM_COLUMNS} FROM {ITEMS} WHERE domain = ?", [domain])
        return [_item(r) for r in rows]

    def sharing_entities(self, keys: Sequence[str], at_least: int) -> list[Item]:
        """Items with at least ``at_least`` of these (lower-cased) entities."""
        if len(keys) < at_least:
            return []
        rows = self._tx.query(
            f"SELECT {_ITEM_COLUMNS} FROM {ITEMS} "
            "WHERE len(list_intersect(list_transform(entities, lambda e: lower(e)), ?::VARCHAR[])) >= ?",
            [list(keys), at_least],
        )
        return [_item(r) for r in rows]

    def context_before(self, session_file: str, line: int) -> ContextRow | None:
        """The conversation state an earlier append left just before ``line``."""
        rows = self._tx.query(
            f"SELECT line_no, role, message_id, text FROM {CONTEXT} "
            "WHERE session_file = ? AND line_no < ? ORDER BY line_no DESC LIMIT 1",
            [session_file, line],
        )
        if not rows:
            return None
        ln, role, mid, text = rows[0]
        return ContextRow(int(ln), str(role), None if mid is None else str(mid),
                          None if text is None else str(text))

    def message_parts(self, session_file: str, message_id: str, before: int) -> list[tuple[int, str]]:
        """(line, text) of the parts of one assistant message stored by earlier appends."""
        rows = self._tx.query(
            f"SELECT line_no, text FROM {CONTEXT} WHERE session_file = ? AND message_id = ? "
            "AND line_no < ? AND text IS NOT NULL ORDER BY line_no",
            [session_file, message_id, before],
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    def prune_context(self, newest: Sequence[tuple[str, int, str | None]]) -> None:
        """Forget context a later lookup can no longer need: per (file, line, message id) of a
        file's newest row, everything before it except earlier parts of the same assistant
        message. One statement for the whole batch (a statement costs milliseconds)."""
        if not newest:
            return
        files, lines, messages = (list(col) for col in zip(*newest, strict=True))
        self._tx.execute(
            f"DELETE FROM {CONTEXT} c USING (SELECT unnest(?::VARCHAR[]) AS file, "
            "unnest(?::BIGINT[]) AS line, unnest(?::VARCHAR[]) AS message) n "
            "WHERE c.session_file = n.file AND c.line_no < n.line "
            "AND (c.message_id IS NULL OR c.message_id IS DISTINCT FROM n.message)",
            [files, lines, messages],
        )

    def delete_orphans(self) -> None:
        """Drop pending items no detection supports any more, and their relations; re-point
        the ``source_ref`` of survivors whose first evidence was deleted.

        Reviewed items (approved, rejected) are a person's decision, not derived data: they
        stay even when the transcripts that raised them are gone, so a rewritten file that is
        reprocessed attaches its evidence to them again instead of resurrecting them as pending.
        """
        orphans = (
            f"SELECT k.id FROM {ITEMS} k WHERE k.status = 'pending' AND NOT EXISTS "
            f"(SELECT 1 FROM {DETECTIONS} d WHERE d.item_id = k.id)"
        )
        self._tx.execute(
            f"DELETE FROM {RELATIONS} WHERE item_id IN ({orphans}) OR related_id IN ({orphans})"
        )
        self._tx.execute(f"DELETE FROM {ITEMS} WHERE id IN ({orphans})")
        # An item whose first evidence went away points at its earliest remaining one.
        self._tx.execute(
            f"UPDATE {ITEMS} k SET source_ref = ("
            f" SELECT d.source_ref FROM {DETECTIONS} d WHERE d.item_id = k.id"
            " ORDER BY d.occurred_at NULLS LAST, d.session_file, d.line_no LIMIT 1) "
            f"WHERE EXISTS (SELECT 1 FROM {DETECTIONS} d WHERE d.item_id = k.id) "
            f"AND NOT EXISTS (SELECT 1 FROM {DETECTIONS} d WHERE d.item_id = k.id "
            "AND d.source_ref = k.source_ref)"
        )
