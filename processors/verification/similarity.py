"""Similarity of two knowledge items, and the near-duplicate gate built on it.

The measure is the one the original pipeline's thresholds were tuned for: difflib's
``SequenceMatcher.ratio()`` (2·M / T, M = matched characters, T = total length) on the
*normalised* ``title + " " + content`` -- casefolded, NFKC, every run of non-alphanumerics turned
into one space. ``autojunk`` is off so long texts are not scored differently from short ones.
It runs on the candidates of one domain that survive two exact upper bounds: the lengths, then
the longest common subsequence (rapidfuzz, in C++); the survivors are scored by cydifflib's
``SequenceMatcher``, difflib's algorithm in C++ (the same matching blocks and ratios, ~7x
faster: `tests/test_verification_clusters.py` holds the two equal on any texts). Not DuckDB's
``jaro_winkler_similarity``, whose scale differs.

Gate (same domain): ``ratio >= 0.82``, or ``ratio >= 0.65`` with at least two shared entities.

``SequenceMatcher`` is not symmetric: its longest-block search pairs repeated phrases
differently when the texts are swapped ("fiscal quarters start in february" twice against
"our fiscal quarters start in february" twice: 0.94 one way, 0.51 the other). Whether two
items are near may not depend on which was seen first, so the measure is the larger of the two
directions.
"""

from __future__ import annotations

import re
import unicodedata

from cydifflib import SequenceMatcher
from rapidfuzz.distance import Indel

NEAR = 0.82
NEAR_WITH_ENTITIES = 0.65
MIN_SHARED_ENTITIES = 2

_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def normalise(title: str, content: str) -> str:
    """The form texts are compared in (kept per text id by `clusters.Norms`)."""
    text = unicodedata.normalize("NFKC", f"{title} {content}").casefold()
    return _NON_ALNUM.sub(" ", text).strip()


def ratio(a: str, b: str) -> float:
    """The similarity of two normalised texts (1.0 for two empty texts); symmetric.

    Exact whenever it is >= 0.65 (the lowest threshold); below that an upper bound may be
    returned instead, since no gate can pass anyway.
    """
    if not a and not b:
        return 1.0
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < NEAR_WITH_ENTITIES:
        return 0.0  # upper bound of the ratio is below every threshold: skip the O(n*m) work
    # The matching blocks form a common subsequence, so 2*LCS/T bounds the ratio from above --
    # computed bit-parallel in C++ (rapidfuzz's Indel similarity, ~2 us for two short texts,
    # where difflib took ~4 ms on texts that share a vocabulary): most pairs end here.
    lcs = Indel.normalized_similarity(a, b)
    if lcs < NEAR_WITH_ENTITIES:
        return lcs
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    bound = float(matcher.quick_ratio())  # an upper bound either way round
    if bound < NEAR_WITH_ENTITIES:
        return bound
    forward = float(matcher.ratio())
    if forward >= bound:
        return forward
    return max(forward, float(SequenceMatcher(None, b, a, autojunk=False).ratio()))


def exact(a: str, b: str) -> float:
    """`ratio` without its shortcuts (a score shown to people, also below the thresholds)."""
    if not a and not b:
        return 1.0
    return max(float(SequenceMatcher(None, a, b, autojunk=False).ratio()),
               float(SequenceMatcher(None, b, a, autojunk=False).ratio()))


def is_near(similarity: float, shared_entities: int) -> bool:
    """The near-duplicate gate (see the module docstring)."""
    if similarity >= NEAR:
        return True
    return shared_entities >= MIN_SHARED_ENTITIES and similarity >= NEAR_WITH_ENTITIES
