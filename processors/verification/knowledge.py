"""Keeping the knowledge base equal to `clusters` over every stored detection, incrementally.

A batch re-clusters only the components it reaches; the rest of the table is untouched:

* **added detections** (``merge``): their texts are the seeds. A text no stored detection says
  yet is compared once with every text of its domain, and its near pairs are stored
  (``knowledge_pairs``).
* **deleted detections** (``after_delete``): the items whose stored count of detections no
  longer matches lost some; the texts they still have are the seeds (a component may split, lose
  its canonical text, or -- a text no longer said by a correction -- link to a neighbour), and
  pairs of texts nobody says any more are dropped.

The part to re-cluster is the items of the seeds and of every text they share a pair with, each
item whole. That is enough: whether two texts are linked changes only when one of them gains or
loses detections -- a seed -- so every link that appears or goes touches a seed, and the old
components are closed under all the others.

Then the part's items are rewritten (`KnowledgeStore.replace_items`), the placements of its
stored detections that changed are updated, and the relations of every item involved are
computed again. A live append with a detection touches its own component and its neighbours;
an append without one touches nothing here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from processors.verification import clusters, similarity
from processors.verification.clusters import Member, Norms, Placement, Text
from processors.verification.store import KnowledgeStore


class Knowledge:
    def __init__(self, store: KnowledgeStore, now: datetime) -> None:
        self.store = store
        self.now = now
        self._norm = Norms()

    def add(self, new: Sequence[tuple[Member, Text]]) -> dict[str, Placement]:
        """Place new detections (not stored yet); returns where every member of the
        re-clustered part goes, the new ones included."""
        if not new:
            return {}
        store = self.store
        texts = {t.id: t for _, t in new}
        known = store.said(texts)
        fresh = [t for t in texts.values() if t.id not in known]
        if fresh:
            neighbours = store.texts_in({t.domain for t in fresh})
            store.add_pairs(clusters.near_pairs(fresh, neighbours, self._norm))
        return self._recluster(set(texts), set(), [(m, t) for m, t in new])

    def after_delete(self) -> None:
        """Re-cluster what lost detections (see the module docstring)."""
        changed = self.store.changed_items()
        if not changed:
            return
        self.store.drop_stale_pairs()
        _, texts, _ = self.store.members_of(changed)
        self._recluster(set(texts), set(changed), [])

    def _recluster(
        self, seeds: set[str], items: set[str], new: Sequence[tuple[Member, Text]]
    ) -> dict[str, Placement]:
        """Re-cluster the items of the seeds and of their neighbours (and ``items``), with the
        ``new`` detections added."""
        store = self.store
        reach = set(seeds)
        for a, b, _ in store.pairs_touching(seeds):
            reach.update((a, b))
        old_items = items | {item for item, _ in store.items_of(reach).values()}
        members, texts, placed = store.members_of(old_items)
        texts.update({t.id: t for _, t in new})
        return self._settle(old_items, [*members, *(m for m, _ in new)], texts, placed)

    def _score(self, a: Text, b: Text) -> float:
        return similarity.exact(self._norm(a), self._norm(b))

    def _settle(
        self, old_items: set[str], members: list[Member], texts: dict[str, Text],
        placed: dict[str, Placement],
    ) -> dict[str, Placement]:
        store = self.store
        pairs = store.pairs_touching(texts)
        statuses = store.statuses(old_items | set(texts))
        reviewed = {i: s for i, s in statuses.items() if s != "pending"}
        anchors = {t: clusters.anchor_rank(s) for t, s in reviewed.items() if t in texts}
        components, placements = clusters.cluster(texts, members, pairs, anchors, self._score)
        store.place({m: p for m, p in placements.items() if m in placed and placed[m] != p})
        affected = old_items | {c.id for c in components}
        store.replace_items(affected, components, reviewed, self.now)
        item_of = {t: c.id for c in components for t in c.texts}
        correcting = {m.text_id for m in members if m.detection_type == "correction"}
        outside = {x for a, b, _ in pairs for x in (a, b) if x not in texts}
        for text, (item, corrects) in store.items_of(outside).items():
            item_of[text] = item
            if corrects:
                correcting.add(text)
        store.replace_relations(affected, clusters.corrections(pairs, item_of, correcting),
                                self.now)
        return placements
