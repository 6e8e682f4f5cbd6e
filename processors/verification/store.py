"""The reads and writes ``merge`` and ``after_delete`` need inside the commit transaction.

A narrow interface over `processors.contract.Tx`, as parameterised SQL: the trails (where each
file's conversation stands), the texts detections say and the near pairs among them, the
detections of some items, and the writes of a re-clustered part of the knowledge base (items,
placements, relations). Every value from a transcript is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sessiond.processors.contract import Tx
from sessiond.processors.kept import Kept, kept, on_commit
from sessiond.processors.verification.clusters import Component, Member, Pair, Placement, Text
from sessiond.processors.verification.detection import CONFIDENCE
from sessiond.processors.verification.schema import (
    CONTEXT,
    DETECTIONS,
    ITEMS,
    PAIRS,
    RELATIONS,
    REVIEWS,
)

LIKELY_DUPLICATE = "likely_duplicate"
POSSIBLY_CORRECTS = "possibly_corrects"
MIN_SHARED_ENTITIES = 2
PENDING = "pending"

_IN = "IN (SELECT unnest(?::VARCHAR[]))"
# A live commit's files are named as bound values, so DuckDB reads the trails' index on
# `session_file` (schema step 11); more files, and they go as one list (a join), which costs
# less then. Scratch, at the bench's 100k-file state (76k trails), committed: delete and insert
# of n trails, medians of 15, without the index / with it, as values: n = 4 11.9-13.2 / 4.5-5.3
# ms, 32 13.2-14.8 / 7.0-7.9, 96 13.6-14.3 / 9.7-11.5, 200 10.8-15.4 / 16.5-17.5; the DELETE of
# 512, medians of 11, with the index: 17.9 ms as values, 12.5 as one list.
_LISTED = 128


def _files_in(files: Sequence[str]) -> tuple[str, list[Any]]:
    """``IN ...`` for a ``session_file`` filter on these files, and its parameters."""
    if len(files) <= _LISTED:
        return f"IN ({', '.join('?' * len(files))})", list(files)
    return _IN, [list(files)]


_ITEM_COLUMNS = ("id", "title", "content", "domain", "entities", "detection_type", "confidence",
                 "status", "source_ref", "created_at", "detections")
# an item as its decision saw it (`knowledge_reviews`), with no detection
_AS_REVIEWED = ("item_id", "title", "content", "domain", "entities", "detection_type",
                "confidence", "status", "source_ref", "created_at", "0")


@dataclass(frozen=True, slots=True)
class Held:
    """What is stored about an item id: its status -- a reviewer's decision (`knowledge_reviews`),
    else pending -- and whether ``knowledge_items`` has a row for it."""

    status: str
    row: bool


@dataclass(frozen=True, slots=True)
class ContextRow:
    line: int
    role: str
    message_id: str | None
    text: str | None


def _str(value: object) -> str | None:
    return None if value is None else str(value)


TRAILS = "verification.trails"  # the trails kept in the database's memo (`processors.kept`)


def trail_size(trail: Sequence[ContextRow]) -> int:
    return sum(64 + len(p.text or "") + len(p.message_id or "") for p in trail)


def kept_trails() -> Kept[str, tuple[ContextRow, ...]]:
    """The stored trails of the files appended to last, as committed: a live append's merge
    finds its file's trail here instead of reading it, and skips the DELETE of a trail known to
    be empty. 4,096 files, and 4 M characters (a part is clipped to 4,000, a message may have
    many): the memory is bounded by the text, not by the number of files."""
    return Kept(4096, chars=4 << 20, size=trail_size)


class KnowledgeStore:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        # None for a `Tx` without a memo (a third party's, a test's): every trail is read
        self._kept = kept(tx, TRAILS, kept_trails)
        self._known: dict[str, list[ContextRow]] = {}  # stored trails known in this transaction

    # -- trails ----------------------------------------------------------------------------

    def trails(self, files: Collection[str]) -> dict[str, list[ContextRow]]:
        """Each file's stored trail, in line order (files without one are absent)."""
        if not files:
            return {}
        kept = self._kept.get(files) if self._kept is not None else {}
        read = sorted(f for f in files if f not in kept)
        known: dict[str, list[ContextRow]] = {f: list(t) for f, t in kept.items()}
        if read:
            known.update((f, []) for f in read)
            where, params = _files_in(read)
            rows = self._tx.query(
                f"SELECT session_file, line_no, role, message_id, text FROM {CONTEXT} "
                f"WHERE session_file {where} ORDER BY session_file, line_no", params)
            for file, line, role, mid, text in rows:
                known[str(file)].append(ContextRow(int(line), str(role), _str(mid), _str(text)))
        self._known.update(known)
        return {f: t for f, t in known.items() if t}

    def forget_trails(self, files: Collection[str]) -> None:
        """Delete the files' stored trails (no statement for a trail known to be empty)."""
        cached = self._kept.get([f for f in files if f not in self._known]) \
            if self._kept is not None else {}
        known = {**{f: list(t) for f, t in cached.items()}, **self._known}
        gone = sorted(f for f in files if known.get(f) != [])  # stored rows, or not known
        if gone:
            where, params = _files_in(gone)
            self._tx.execute(f"DELETE FROM {CONTEXT} WHERE session_file {where}", params)
        for f in files:
            self._known[f] = []

    def keep_trails(self, appended: Mapping[str, Sequence[ContextRow]],
                    continued: Collection[str]) -> None:
        """Once this transaction commits, remember the stored trail of every file it read or
        appended to: an appended file's new rows -- after its stored ones where the append
        goes on with them (``continued``, whose trails were read)."""
        if self._kept is None:
            return
        after = dict(self._known)  # read, or forgotten, in this transaction
        for f, rows in appended.items():
            base = after.get(f, []) if f in continued else []
            after[f] = sorted([*base, *rows], key=lambda r: r.line)
        trails = self._kept
        on_commit(self._tx, lambda: trails.put({f: tuple(t) for f, t in after.items()}))

    def drop_trails(self, files: Collection[str]) -> None:
        """The files' stored trails changed other than by a merge (deleted with their rows)."""
        if self._kept is not None:
            trails = self._kept
            trails.drop(files)
            on_commit(self._tx, lambda: trails.drop(files))

    # -- texts and pairs -------------------------------------------------------------------

    def texts_in(self, domains: Collection[str]) -> list[Text]:
        """Every text stored detections say in these domains."""
        if not domains:
            return []
        rows = self._tx.query(
            f"SELECT text_id, any_value(title), any_value(content), any_value(domain), "
            f"any_value(entities) FROM {DETECTIONS} WHERE domain {_IN} GROUP BY text_id "
            "ORDER BY text_id", [sorted(domains)])
        return [_text(r) for r in rows]

    def add_pairs(self, pairs: Sequence[Pair]) -> None:
        if pairs:
            a, b, s = (list(col) for col in zip(*pairs, strict=True))
            self._tx.execute(
                f"INSERT INTO {PAIRS} SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                "unnest(?::DOUBLE[])", [a, b, s])

    def pairs_touching(self, text_ids: Collection[str]) -> list[Pair]:
        if not text_ids:
            return []
        ids = sorted(text_ids)
        rows = self._tx.query(
            f"SELECT a, b, score FROM {PAIRS} WHERE a {_IN} OR b {_IN} ORDER BY a, b", [ids, ids])
        return [(str(a), str(b), float(s)) for a, b, s in rows]

    def drop_stale_pairs(self) -> None:
        """Pairs with a text no detection says any more."""
        self._tx.execute(
            f"DELETE FROM {PAIRS} p WHERE NOT EXISTS (SELECT 1 FROM {DETECTIONS} d "
            f"WHERE d.text_id = p.a) OR NOT EXISTS (SELECT 1 FROM {DETECTIONS} d "
            "WHERE d.text_id = p.b)")

    # -- what is stored about texts and items ----------------------------------------------

    def items_of(self, text_ids: Collection[str]) -> dict[str, tuple[str, bool]]:
        """Per text stored detections say: (its item, whether a correction says it)."""
        if not text_ids:
            return {}
        rows = self._tx.query(
            f"SELECT text_id, any_value(item_id), bool_or(detection_type = 'correction') "
            f"FROM {DETECTIONS} WHERE text_id {_IN} GROUP BY text_id", [sorted(text_ids)])
        return {str(t): (str(i), bool(c)) for t, i, c in rows}

    def members_of(
        self, item_ids: Collection[str]
    ) -> tuple[list[Member], dict[str, Text], dict[str, Placement]]:
        """The stored detections of these items: as members, the texts they say, and where
        each is placed now."""
        if not item_ids:
            return [], {}, {}
        rows = self._tx.query(
            "SELECT id, text_id, detection_type, occurred_at, session_file, line_no, source_ref, "
            "item_id, match_kind, similarity, title, content, domain, entities "
            f"FROM {DETECTIONS} WHERE item_id {_IN}", [sorted(item_ids)])
        members: list[Member] = []
        texts: dict[str, Text] = {}
        placed: dict[str, Placement] = {}
        for (ident, text_id, kind, at, file, line, ref, item, match, sim, *text) in rows:
            m = Member(str(ident), str(text_id), str(kind),
                       at if isinstance(at, datetime) else None, str(file), int(line), str(ref))
            members.append(m)
            placed[m.id] = Placement(str(item), str(match), None if sim is None else float(sim))
            if m.text_id not in texts:
                texts[m.text_id] = _text((text_id, *text))
        return members, texts, placed

    def places(
        self, text_ids: Collection[str]
    ) -> dict[str, tuple[str, bool, float | None, Member | None]]:
        """Per text stored detections say: its item, whether a correction says it, the
        similarity of its detections to the item's text, and the item's first detection (the
        one placed ``new``) -- what a new detection of a known text needs to be placed alone."""
        if not text_ids:
            return {}
        rows = self._tx.query(
            "SELECT t.text_id, t.item_id, t.corrects, t.sim, f.id, f.detection_type, "
            "f.occurred_at, f.session_file, f.line_no, f.source_ref FROM ("
            "SELECT text_id, any_value(item_id) AS item_id, bool_or(detection_type = "
            "'correction') AS corrects, max(similarity) AS sim "
            f"FROM {DETECTIONS} WHERE text_id {_IN} GROUP BY text_id) t "
            f"LEFT JOIN {DETECTIONS} f ON f.item_id = t.item_id AND f.match_kind = 'new'",
            [sorted(text_ids)])
        out: dict[str, tuple[str, bool, float | None, Member | None]] = {}
        for text, item, corrects, sim, ident, kind, at, file, line, ref in rows:
            first = None if ident is None else Member(
                str(ident), str(item), str(kind), at if isinstance(at, datetime) else None,
                str(file), int(line), str(ref))
            out[str(text)] = (str(item), bool(corrects), None if sim is None else float(sim), first)
        return out

    def count(self, added: Mapping[str, int]) -> None:
        """Items that gained detections (and nothing else)."""
        if added:
            ids = sorted(added)
            self._tx.execute(
                f"UPDATE {ITEMS} AS k SET detections = k.detections + u.n FROM (SELECT "
                "unnest(?::VARCHAR[]) AS id, unnest(?::BIGINT[]) AS n) u WHERE k.id = u.id",
                [ids, [added[i] for i in ids]])

    def statuses(self, ids: Collection[str]) -> dict[str, Held]:
        """The ids among these that have an item row or a decision (a decision's item may have
        lost its row, e.g. to a migration: it is written again from the decision)."""
        if not ids:
            return {}
        rows = self._tx.query(
            f"SELECT i.id, coalesce(r.status, '{PENDING}'), k.id IS NOT NULL "
            f"FROM (SELECT unnest(?::VARCHAR[]) AS id) i LEFT JOIN {ITEMS} k ON k.id = i.id "
            f"LEFT JOIN {REVIEWS} r ON r.item_id = i.id "
            "WHERE k.id IS NOT NULL OR r.item_id IS NOT NULL", [sorted(ids)])
        return {str(i): Held(str(s), bool(row)) for i, s, row in rows}

    def changed_items(self) -> list[str]:
        """Items whose count of detections is not what was stored with them: after a deletion,
        the items that lost some."""
        rows = self._tx.query(
            f"SELECT k.id FROM {ITEMS} k LEFT JOIN (SELECT item_id, count(*) AS n "
            f"FROM {DETECTIONS} GROUP BY item_id) d ON d.item_id = k.id "
            "WHERE coalesce(d.n, 0) <> k.detections ORDER BY k.id")
        return [str(r[0]) for r in rows]

    # -- writes ----------------------------------------------------------------------------

    def place(self, placements: Mapping[str, Placement]) -> None:
        """Move stored detections to their (new) items."""
        if not placements:
            return
        ids = sorted(placements)
        self._tx.execute(
            f"UPDATE {DETECTIONS} AS d SET item_id = u.item_id, match_kind = u.kind, "
            "similarity = u.sim FROM (SELECT unnest(?::VARCHAR[]) AS id, "
            "unnest(?::VARCHAR[]) AS item_id, unnest(?::VARCHAR[]) AS kind, "
            "unnest(?::DOUBLE[]) AS sim) u WHERE d.id = u.id",
            [ids, [placements[i].item_id for i in ids], [placements[i].match_kind for i in ids],
             [placements[i].similarity for i in ids]])

    def replace_items(
        self, components: Sequence[Component], held: Mapping[str, Held], now: datetime,
    ) -> None:
        """The items of a re-clustered part become ``components``; ``held``: what is stored
        about the part's old and new ids (`statuses`).

        Pending items are derived, so they are deleted and written again; a reviewed one is a
        person's decision: it keeps its row and status, takes its component's values, and
        without a component is the item as it was reviewed, with 0 detections (`restore`).
        """
        pending = sorted(i for i, h in held.items() if h.row and h.status == PENDING)
        if pending:
            self._tx.execute(f"DELETE FROM {ITEMS} WHERE id {_IN}", [pending])
        reviewed = {i: h for i, h in held.items() if h.status != PENDING}
        new = [c for c in components if not (c.id in reviewed and reviewed[c.id].row)]
        if new:
            values = [[getattr(c.text, k) for c in new] for k in ("id", "title", "content", "domain")]
            values += [
                [list(c.text.entities) for c in new],
                [c.first.detection_type for c in new],
                [CONFIDENCE[c.first.detection_type] for c in new],
                [reviewed[c.id].status if c.id in reviewed else PENDING for c in new],
                [c.first.source_ref for c in new],
                [c.first.occurred_at or now for c in new],
                [c.detections for c in new],
            ]
            types = ("VARCHAR[]", "VARCHAR[]", "VARCHAR[]", "VARCHAR[]", "VARCHAR[][]",
                     "VARCHAR[]", "DOUBLE[]", "VARCHAR[]", "VARCHAR[]", "TIMESTAMPTZ[]", "BIGINT[]")
            self._tx.execute(
                f"INSERT INTO {ITEMS} ({', '.join(_ITEM_COLUMNS)}) SELECT "
                + ", ".join(f"unnest(?::{t})" for t in types), values)
        for c in components:
            if c.id in reviewed and reviewed[c.id].row:
                self._tx.execute(
                    f"UPDATE {ITEMS} SET detection_type = ?, confidence = ?, source_ref = ?, "
                    "created_at = ?, detections = ?, status = ? WHERE id = ?",
                    [c.first.detection_type, CONFIDENCE[c.first.detection_type],
                     c.first.source_ref, c.first.occurred_at or now, c.detections,
                     reviewed[c.id].status, c.id])
        self.restore(sorted(set(reviewed) - {c.id for c in components}))

    def restore(self, ids: Sequence[str]) -> None:
        """Reviewed items no component has (no detection says their text, or another reviewed
        text anchors theirs): the item as it was reviewed, with 0 detections -- whatever order
        their evidence went in, so still a function of the detections and the decisions."""
        if not ids:
            return
        snapshot = ", ".join(f"{c} = r.{c}" for c in _ITEM_COLUMNS[1:-1])
        self._tx.execute(
            f"UPDATE {ITEMS} AS k SET {snapshot}, detections = 0 FROM {REVIEWS} r "
            f"WHERE r.item_id = k.id AND k.id {_IN}", [list(ids)])
        self._tx.execute(
            f"INSERT INTO {ITEMS} ({', '.join(_ITEM_COLUMNS)}) SELECT {', '.join(_AS_REVIEWED)} "
            f"FROM {REVIEWS} r WHERE r.item_id {_IN} "
            f"AND r.item_id NOT IN (SELECT id FROM {ITEMS})", [list(ids)])

    def restore_lost(self) -> None:
        """Decisions whose item has no row (a migration that dropped derived rows): the row
        again, as reviewed; a re-clustering then finds the detections that say it."""
        self._tx.execute(
            f"INSERT INTO {ITEMS} ({', '.join(_ITEM_COLUMNS)}) SELECT {', '.join(_AS_REVIEWED)} "
            f"FROM {REVIEWS} r WHERE r.item_id NOT IN (SELECT id FROM {ITEMS})")

    def replace_relations(
        self, existed: Collection[str], affected: Collection[str],
        corrects: Mapping[tuple[str, str], float], now: datetime,
    ) -> None:
        """The relations of the ``affected`` items, again: the ``possibly_corrects`` given, and
        ``likely_duplicate`` with every item sharing at least two entities (case-insensitive).
        ``existed``: the ids among them that were items before (only they had relations)."""
        if not affected:
            return
        ids = sorted(affected)
        if existed:
            gone = sorted(existed)
            self._tx.execute(f"DELETE FROM {RELATIONS} WHERE item_id {_IN} OR related_id {_IN}",
                             [gone, gone])
        if corrects:
            keys = sorted(corrects)
            self._tx.execute(
                f"INSERT INTO {RELATIONS} SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                f"'{POSSIBLY_CORRECTS}', unnest(?::DOUBLE[]), ?",
                [[a for a, _ in keys], [b for _, b in keys], [corrects[k] for k in keys], now])
        self._tx.execute(
            f"""
            INSERT INTO {RELATIONS}
            WITH keys AS (
                SELECT id, unnest(list_distinct(list_transform(entities, lambda e: lower(e)))) AS k
                FROM {ITEMS}
            ),
            mine AS (SELECT * FROM keys WHERE id {_IN})
            SELECT DISTINCT least(m.id, o.id), greatest(m.id, o.id), '{LIKELY_DUPLICATE}',
                   count(*)::DOUBLE, ?::TIMESTAMPTZ
            FROM mine m JOIN keys o ON o.k = m.k AND o.id <> m.id
            GROUP BY m.id, o.id HAVING count(*) >= {MIN_SHARED_ENTITIES}
            """, [ids, now])


def _text(row: Iterable[Any]) -> Text:
    ident, title, content, domain, ents = row
    return Text(str(ident), str(title), str(content), str(domain),
                tuple(str(e) for e in (ents or ())))
