"""Knowledge items as a function of the *set* of detections: connected components of texts.

A *text* is a distinct (title, content); its id is the original pipeline's item id
(``kv_`` + sha256(title:content)[:12]), and every detection says one. Two texts are *linked*
when they are near duplicates (`similarity`: same domain, the gate) and neither is said by a
correction. A correction overturns a fact, and similarity cannot tell "MRR includes setup fees"
from "MRR excludes setup fees": so a text someone gave as a correction joins only the detections
of exactly that text, and is related (``possibly_corrects``) to the items it is near. An item is
a connected component of linked texts.

The item's *canonical text* gives it its id, title, content, domain and entities: the text a
reviewer's decision anchors (one whose id was approved, else one rejected), else the text said
first -- by its earliest detection in (occurred_at, session_file, line_no, detection id), a
total order. Each detection is placed: ``new`` for the canonical text's earliest detection,
``exact`` for the other detections of that text, ``near`` for the rest, with their similarity
to the canonical text (in a chain of near duplicates that can be below the gate).

Nothing here depends on the order in which detections arrive: when a new detection links two
components, the merged item takes the id of the merged component's canonical text; when a
deletion splits one, each part takes its own. A reviewed id stays an item's id as long as a
detection says its text.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from rapidfuzz import process
from rapidfuzz.distance import Indel

from sessiond.processors.verification import entities, similarity

NEW, EXACT, NEAR = "new", "exact", "near"
ANCHOR_RANK = {"approved": 0}  # any other reviewed status ranks 1; pending and unknown 2
_UNANCHORED = 2
_LATEST = datetime.max.replace(tzinfo=UTC)

Pair = tuple[str, str, float]  # (text id, text id, similarity), ids in order


def anchor_rank(status: str | None) -> int:
    if status is None or status == "pending":
        return _UNANCHORED
    return ANCHOR_RANK.get(status, 1)


@dataclass(frozen=True, slots=True)
class Text:
    id: str
    title: str
    content: str
    domain: str
    entities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Member:
    """A detection as the clustering sees it."""

    id: str
    text_id: str
    detection_type: str
    occurred_at: datetime | None
    session_file: str
    line_no: int
    source_ref: str

    @property
    def order(self) -> tuple[bool, datetime, str, int, str]:
        at = self.occurred_at
        return at is None, _LATEST if at is None else at, self.session_file, self.line_no, self.id


@dataclass(frozen=True, slots=True)
class Placement:
    item_id: str
    match_kind: str
    similarity: float | None


@dataclass(frozen=True, slots=True)
class Component:
    text: Text  # canonical
    first: Member  # the canonical text's earliest detection
    texts: tuple[str, ...]  # every text id in it, sorted
    detections: int

    @property
    def id(self) -> str:
        return self.text.id


class Norms:
    """A text's normalised form (`similarity.normalise`), kept per process.

    Every commit that brings a new text holds it against all of its domain's texts, read from
    the state each time: normalising them again (~15-40 us each) cost a live commit ~0.3 s at
    10k texts once they outgrew a cache of 4,096 (title, content) keys. Kept here by text id
    with a hash of the text, so only the normalised strings stay (~250 bytes a text), at most
    `_KEPT` of them (the oldest half goes when full)."""

    _KEPT = 1 << 16
    _kept: ClassVar[dict[str, tuple[int, str]]] = {}

    def __call__(self, text: Text) -> str:
        kept = self._kept
        mark = hash((text.title, text.content))
        found = kept.get(text.id)
        if found is not None and found[0] == mark:
            return found[1]
        if len(kept) >= self._KEPT:
            for old in list(itertools.islice(kept, self._KEPT // 2)):
                kept.pop(old, None)  # (another thread's merge may have dropped it)
        norm = similarity.normalise(text.title, text.content)
        kept[text.id] = (mark, norm)
        return norm


# Two texts whose lengths differ by more than this ratio cannot pass `similarity.NEAR`: 2*min/(a+b)
# bounds the ratio, and 2m/(m+M) >= 0.82 needs m >= 0.6949 M (a little wider here: a prefilter).
_LENGTHS_NEAR = 0.69


class _Domain:
    """A domain's texts sorted by the length of their normalised form, and (built when first
    asked) which texts name each entity."""

    def __init__(self, texts: Sequence[tuple[Text, str]] = ()) -> None:
        ordered = sorted(texts, key=lambda t: len(t[1]))  # stable: ties keep their order
        self.lengths = [len(norm) for _, norm in ordered]
        self.norms = [norm for _, norm in ordered]
        self.texts = [text for text, _ in ordered]
        self._naming: dict[str, list[int]] | None = None  # entity key -> indexes in `_all`
        self._all: list[tuple[Text, str]] = list(texts)

    def add(self, text: Text, norm: str) -> None:
        at = bisect.bisect_right(self.lengths, len(norm))
        self.lengths.insert(at, len(norm))
        self.norms.insert(at, norm)
        self.texts.insert(at, text)
        self._all.append((text, norm))
        if self._naming is not None:
            self._name(len(self._all) - 1)

    def _name(self, i: int) -> None:
        assert self._naming is not None
        for k in {entities.key(e) for e in self._all[i][0].entities}:
            self._naming.setdefault(k, []).append(i)

    def band(self, length: int) -> tuple[int, int]:
        """The slice of texts whose length could pass `similarity.NEAR` with a text of
        ``length``."""
        return (bisect.bisect_left(self.lengths, length * _LENGTHS_NEAR),
                bisect.bisect_right(self.lengths, length / _LENGTHS_NEAR))

    def sharing(self, text: Text) -> list[tuple[Text, str]]:
        """The texts naming at least `similarity.MIN_SHARED_ENTITIES` of this text's entities."""
        keys = {entities.key(e) for e in text.entities}
        if len(keys) < similarity.MIN_SHARED_ENTITIES:
            return []
        if self._naming is None:
            self._naming = {}
            for i in range(len(self._all)):
                self._name(i)
        counts: dict[int, int] = {}
        for k in keys:
            for i in self._naming.get(k, ()):
                counts[i] = counts.get(i, 0) + 1
        return [self._all[i] for i, c in counts.items() if c >= similarity.MIN_SHARED_ENTITIES]


def near_pairs(new: Sequence[Text], known: Sequence[Text], norm: Norms) -> list[Pair]:
    """The near-duplicate pairs between each new text and every other text of its domain (known
    or new), each pair once, as (lower id, higher id, similarity).

    The gate (`similarity.is_near`) passes a pair at `similarity.NEAR`, or at the lower
    `similarity.NEAR_WITH_ENTITIES` when the texts share enough entities; the longest common
    subsequence bounds the ratio from above (`similarity.ratio`). So a new text is held, in one
    call to rapidfuzz (in C++), against its domain's texts of a length that could pass `NEAR`
    (`_LENGTHS_NEAR`) at that cutoff, and against the texts sharing its entities (an index) at
    the lower one; only those are scored exactly -- the same pairs as scoring every one, without
    holding each new text against the whole domain at the lower cutoff (most texts share no
    entities, and the higher cutoff prunes far more)."""
    by_domain: dict[str, list[tuple[Text, str]]] = {}
    for t in known:
        by_domain.setdefault(t.domain, []).append((t, norm(t)))
    domains = {d: _Domain(texts) for d, texts in by_domain.items()}  # sorted once, not per text
    out: list[Pair] = []
    seen: set[str] = {t.id for t in known}
    for n in sorted(new, key=lambda t: t.id):
        if n.id in seen:
            continue
        seen.add(n.id)
        domain = domains.setdefault(n.domain, _Domain())
        mine = norm(n)
        lo, hi = domain.band(len(mine))
        found = process.extract(mine, domain.norms[lo:hi], scorer=Indel.normalized_similarity,
                                processor=None, score_cutoff=similarity.NEAR, limit=None)
        candidates = {domain.texts[lo + i].id: domain.texts[lo + i] for _, _, i in found}
        for other, theirs in domain.sharing(n):
            if other.id not in candidates and Indel.normalized_similarity(
                    mine, theirs, score_cutoff=similarity.NEAR_WITH_ENTITIES):
                candidates[other.id] = other
        for other in sorted(candidates.values(), key=lambda t: t.id):
            a, b = (n, other) if n.id < other.id else (other, n)
            score = similarity.ratio(norm(a), norm(b))
            if similarity.is_near(score, entities.shared(a.entities, b.entities)):
                out.append((a.id, b.id, round(score, 4)))
        domain.add(n, mine)
    return out


def _roots(ids: Iterable[str], links: Iterable[tuple[str, str]]) -> dict[str, str]:
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {i: find(i) for i in parent}


def cluster(
    texts: Mapping[str, Text],
    members: Sequence[Member],
    pairs: Iterable[Pair],
    anchors: Mapping[str, int],
    score: Callable[[Text, Text], float],
) -> tuple[list[Component], dict[str, Placement]]:
    """The components of the texts that ``members`` say, and where each member goes.

    ``pairs``: the near pairs among these texts (others are ignored); ``anchors``: the anchor
    rank of text ids that are reviewed item ids; ``score(a, b)``: the similarity of two texts
    (a's id first) that are not a stored pair.
    """
    said: dict[str, list[Member]] = {}
    for m in members:
        said.setdefault(m.text_id, []).append(m)
    linkable = {t for t, ms in said.items() if all(m.detection_type != "correction" for m in ms)}
    scores = {(a, b): s for a, b, s in pairs if a in said and b in said}
    roots = _roots(said, ((a, b) for a, b in scores if a in linkable and b in linkable))
    groups: dict[str, list[str]] = {}
    for t, root in roots.items():
        groups.setdefault(root, []).append(t)
    firsts = {t: min(ms, key=lambda m: m.order) for t, ms in said.items()}
    components: list[Component] = []
    placements: dict[str, Placement] = {}
    for group in groups.values():
        canon = min(group, key=lambda t: (anchors.get(t, _UNANCHORED), firsts[t].order))
        text, first = texts[canon], firsts[canon]
        components.append(Component(text, first, tuple(sorted(group)),
                                    sum(len(said[t]) for t in group)))
        for t in group:
            if t == canon:
                sim = None
            else:
                key = (t, canon) if t < canon else (canon, t)
                sim = scores.get(key)
                if sim is None:
                    a, b = texts[key[0]], texts[key[1]]
                    sim = round(score(a, b), 4)
            for m in said[t]:
                if m is first:
                    placements[m.id] = Placement(canon, NEW, None)
                elif t == canon:
                    placements[m.id] = Placement(canon, EXACT, 1.0)
                else:
                    placements[m.id] = Placement(canon, NEAR, sim)
    components.sort(key=lambda c: c.id)
    return components, placements


def corrections(
    pairs: Iterable[Pair], item_of: Mapping[str, str], correcting: Iterable[str]
) -> dict[tuple[str, str], float]:
    """``possibly_corrects`` relations: (item of a text a correction says, item of a text it is
    near) -> the best similarity, for texts in different items."""
    fixes = set(correcting)
    out: dict[tuple[str, str], float] = {}
    for a, b, s in pairs:
        ia, ib = item_of.get(a), item_of.get(b)
        if ia is None or ib is None or ia == ib:
            continue
        for src, dst, text in ((ia, ib, a), (ib, ia, b)):
            if text in fixes and s > out.get((src, dst), -1.0):
                out[(src, dst)] = s
    return out
