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

Most live detections restate a text already said, after the item's first detection: then no
link, canonical text, placement or relation changes -- the detection takes its text's place and
the item counts one more (`_placed_alone`, two statements instead of a dozen). The rule is the
same: the differential test runs both paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sessiond.processors.verification import clusters, similarity
from sessiond.processors.verification.clusters import Member, Norms, Pair, Placement, Text
from sessiond.processors.verification.store import PENDING, KnowledgeStore


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
        places = self.store.places({m.text_id for m, _ in new})
        alone = self._placed_alone(new, places)
        if alone is not None:
            return alone
        store = self.store
        texts = {t.id: t for _, t in new}
        fresh = [t for t in texts.values() if t.id not in places]
        if fresh:
            neighbours = store.texts_in({t.domain for t in fresh})
            store.add_pairs(clusters.near_pairs(fresh, neighbours, self._norm))
        return self._recluster(set(texts), set(), new, stored=set(places))

    def _placed_alone(
        self, new: Sequence[tuple[Member, Text]],
        places: dict[str, tuple[str, bool, float | None, Member | None]],
    ) -> dict[str, Placement] | None:
        """Placements when every new detection says a known text, later than its item's first
        detection, and gives no text its first correction; else None."""
        out: dict[str, Placement] = {}
        added: dict[str, int] = {}
        for m, _ in new:
            known = places.get(m.text_id)
            if known is None:
                return None
            item, corrects, sim, first = known
            if (first is None or m.order < first.order
                    or (m.detection_type == "correction" and not corrects)):
                return None
            out[m.id] = (Placement(item, clusters.EXACT, 1.0) if m.text_id == item
                         else Placement(item, clusters.NEAR, sim))
            added[item] = added.get(item, 0) + 1
        self.store.count(added)
        return out

    def after_delete(self) -> None:
        """Re-cluster what lost detections (see the module docstring)."""
        self.store.restore_lost()
        changed = self.store.changed_items()
        if not changed:
            return
        self.store.drop_stale_pairs()
        _, texts, _ = self.store.members_of(changed)
        self._recluster(set(texts), set(changed), [], stored=set(texts))

    def review(self, item_id: str) -> None:
        """After a decision about ``item_id`` (stored first): the ranks of anchors changed, not
        any link, so the item and the one whose component says its text are re-clustered
        whole -- the canonical text may change in them, nothing outside."""
        items = {item_id} | {item for item, _ in self.store.items_of({item_id}).values()}
        members, texts, placed = self.store.members_of(items)
        self._settle(items, members, texts, placed)

    def _recluster(
        self, seeds: set[str], items: set[str], new: Sequence[tuple[Member, Text]], *,
        stored: set[str],
    ) -> dict[str, Placement]:
        """Re-cluster the items of the seeds and of their neighbours (and ``items``), with the
        ``new`` detections added. ``stored``: the seeds stored detections say."""
        store = self.store
        touching = store.pairs_touching(seeds)
        reach = stored | {x for a, b, _ in touching for x in (a, b) if x not in seeds}
        old_items = items | {item for item, _ in store.items_of(reach).values()}
        members, texts, placed = store.members_of(old_items)
        texts.update({t.id: t for _, t in new})
        return self._settle(old_items, [*members, *(m for m, _ in new)], texts, placed,
                            touching if set(texts) == seeds else None)

    def _score(self, a: Text, b: Text) -> float:
        return similarity.exact(self._norm(a), self._norm(b))

    def _settle(
        self, old_items: set[str], members: list[Member], texts: dict[str, Text],
        placed: dict[str, Placement], pairs: list[Pair] | None = None,
    ) -> dict[str, Placement]:
        """Cluster ``texts`` and write the result; ``pairs``: the pairs touching them, if
        already read."""
        store = self.store
        if pairs is None:
            pairs = store.pairs_touching(texts)
        held = store.statuses(old_items | set(texts))  # the rows and decisions among all ids
        anchors = {t: clusters.anchor_rank(h.status) for t, h in held.items()
                   if t in texts and h.status != PENDING}
        components, placements = clusters.cluster(texts, members, pairs, anchors, self._score)
        store.place({m: p for m, p in placements.items() if m in placed and placed[m] != p})
        affected = old_items | {c.id for c in components}
        store.replace_items(components, held, self.now)
        item_of = {t: c.id for c in components for t in c.texts}
        correcting = {m.text_id for m in members if m.detection_type == "correction"}
        outside = {x for a, b, _ in pairs for x in (a, b) if x not in texts}
        for text, (item, corrects) in store.items_of(outside).items():
            item_of[text] = item
            if corrects:
                correcting.add(text)
        store.replace_relations({i for i, h in held.items() if h.row}, affected | set(held),
                                clusters.corrections(pairs, item_of, correcting), self.now)
        return placements
