"""`processors.verification.clusters`: items as a function of the set of detections.

The order of members, of pairs, and of which texts were "known" before which, never changes the
components, their ids or the placements; chains link, deletions split, corrections stay with
their own text, a reviewed id anchors its component.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sessiond.processors.verification import clusters, similarity
from sessiond.processors.verification.clusters import (
    Member,
    Norms,
    Text,
    cluster,
    corrections,
    near_pairs,
)
from sessiond.processors.verification.detection import complete

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

SAYINGS = (
    "MRR excludes one-time setup fees.", "MRR excludes the one-time setup fees.",
    "MRR excludes all the one-time setup fees!", "MRR includes one-time setup fees.",
    # a chain: each near the next (0.944, 0.83, 0.929), the first not near the third (0.417)
    "Fiscal quarters start in February.", "Our fiscal quarters start in February.",
    "Our fiscal quarters start on the first of February.",
    "Our fiscal years start on the first of February.",
    "All timestamps are stored in UTC.",
)


def text(saying: str) -> Text:
    d = complete("unprompted_definition", saying.rstrip(".!"), saying)
    assert d is not None
    return Text(d.item_id, d.title, d.content, d.domain, d.entities)


TEXTS = [text(s) for s in SAYINGS]


def member(i: int, t: Text, kind: str = "unprompted_definition", minutes: int | None = 0) -> Member:
    at = None if minutes is None else T0 + timedelta(minutes=minutes)
    return Member(f"ev_{i:03d}", t.id, kind, at, f"u/f{i % 3}.jsonl", i, f"u/f{i % 3}.jsonl:{i}")


def score(a: Text, b: Text) -> float:
    norm = Norms()
    return similarity.exact(norm(a), norm(b))


def run(members: list[Member], anchors: dict[str, int] | None = None) -> tuple[list[clusters.Component], dict[str, clusters.Placement]]:
    texts = {t.id: t for t in TEXTS}
    said = [texts[m.text_id] for m in members]
    pairs = near_pairs(said, [], Norms())
    return cluster(texts, members, pairs, anchors or {}, score)


members_st = st.lists(
    st.tuples(st.integers(0, len(TEXTS) - 1), st.sampled_from(["correction", "confirmation",
                                                               "unprompted_definition"]),
              st.one_of(st.none(), st.integers(0, 30))),
    min_size=1, max_size=12,
).map(lambda xs: [member(i, TEXTS[t], kind, at) for i, (t, kind, at) in enumerate(xs)])


@settings(max_examples=200, deadline=None)
@given(members=members_st, data=st.data())
def test_the_result_is_a_function_of_the_set(members: list[Member], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(members))
    assert run(shuffled) == run(members)
    # pairs found with any split of the texts into "known before" and "new" are the same
    said = list({m.text_id: TEXTS[[t.id for t in TEXTS].index(m.text_id)] for m in members}.values())
    cut = data.draw(st.integers(0, len(said)))
    order = data.draw(st.permutations(said))
    split = near_pairs(order[:cut], [], Norms()) + near_pairs(order[cut:], order[:cut], Norms())
    assert sorted(split) == sorted(near_pairs(said, [], Norms()))
    a, b = data.draw(st.sampled_from(TEXTS)), data.draw(st.sampled_from(TEXTS))
    norm = Norms()
    assert similarity.ratio(norm(a), norm(b)) == similarity.ratio(norm(b), norm(a))


def test_a_chain_links_and_splits_when_its_middle_goes() -> None:
    a, b, c, d = TEXTS[4:8]
    ms = [member(1, a, minutes=5), member(2, b, minutes=9), member(3, c, minutes=1),
          member(4, d, minutes=7)]
    comps, placed = run(ms)
    assert [x.id for x in comps] == [c.id]  # one item, named for the text said first
    assert placed["ev_003"].match_kind == "new"
    assert placed["ev_001"].match_kind == "near" and placed["ev_001"].similarity < 0.82  # via b
    comps, _ = run([ms[0], ms[2], ms[3]])  # b goes: a is alone, c and d stay together
    assert sorted(x.id for x in comps) == sorted([a.id, c.id])


def test_a_text_given_as_a_correction_joins_only_itself_and_points_at_what_it_is_near() -> None:
    fix = member(1, TEXTS[3], "correction", minutes=9)  # "MRR includes ..." near "excludes"
    fact = member(2, TEXTS[0], minutes=1)
    again = member(3, TEXTS[3], "confirmation", minutes=20)  # the corrected fact, confirmed
    comps, placed = run([fix, fact, again])
    assert sorted(c.id for c in comps) == sorted({TEXTS[0].id, TEXTS[3].id})
    assert placed["ev_003"] == clusters.Placement(TEXTS[3].id, "exact", 1.0)
    assert [c.id for c in run([fact, again])[0]] == [TEXTS[0].id]  # no correction: linked
    pairs = near_pairs([TEXTS[0], TEXTS[3]], [], Norms())
    item_of = {t: t for t in (TEXTS[0].id, TEXTS[3].id)}
    assert set(corrections(pairs, item_of, {TEXTS[3].id})) == {(TEXTS[3].id, TEXTS[0].id)}


def test_a_reviewed_id_anchors_its_component_and_untimed_members_come_last() -> None:
    early, late = member(1, TEXTS[4], minutes=1), member(2, TEXTS[5], minutes=50)
    assert [c.id for c in run([early, late])[0]] == [TEXTS[4].id]
    comps, placed = run([early, late], anchors={TEXTS[5].id: 0})
    assert [c.id for c in comps] == [TEXTS[5].id] and placed["ev_001"].match_kind == "near"
    untimed = member(3, TEXTS[4], minutes=None)
    comps, placed = run([untimed, late])
    assert [c.id for c in comps] == [TEXTS[5].id]  # a detection without a time is not "first"


_WORDS = st.sampled_from(["mrr", "includes", "setup", "fees", "the", "fiscal", "quarter", "starts",
                          "in", "february", "q1", "churn", "is", "net", "of", "refunds", "é", "x"])


@settings(max_examples=300, deadline=None)
@given(a=st.lists(_WORDS, max_size=14).map(" ".join), b=st.lists(_WORDS, max_size=14).map(" ".join))
def test_the_lcs_bound_never_changes_the_gate(a: str, b: str) -> None:
    """`similarity.ratio` skips difflib when the LCS bound is below every threshold: what it
    returns is the exact ratio whenever that is >= the lowest threshold, and never above the
    bound otherwise."""
    exact = similarity.exact(a, b)
    got = similarity.ratio(a, b)
    if exact >= similarity.NEAR_WITH_ENTITIES:
        assert got == exact
    else:
        assert got < similarity.NEAR_WITH_ENTITIES


def _every_pair(texts: list[Text]) -> list[tuple[str, str, float]]:
    """The gate applied to every pair of a domain, in Python: what `near_pairs` must find."""
    norm, out = Norms(), []
    for i, x in enumerate(texts):
        for y in texts[i + 1:]:
            a, b = (x, y) if x.id < y.id else (y, x)
            if a.domain != b.domain or a.id == b.id:
                continue
            s = similarity.ratio(norm(a), norm(b))
            if similarity.is_near(s, clusters.entities.shared(a.entities, b.entities)):
                out.append((a.id, b.id, round(s, 4)))
    return sorted(set(out))


_BASES = ("Stripe exports invoices to S3 nightly through Airflow",
          "MRR excludes one-time setup fees in Looker",
          "Our fiscal quarters start in February per Finance", "All timestamps are stored in UTC")
_EDITS = ("the", "our", "weekly", "GCS", "Snowflake", "no longer", "!", "", "--", "BigQuery")


@st.composite
def _saying(draw: st.DrawFn) -> list[str]:
    """A base saying with a few words dropped, replaced or added: near duplicates, some only
    with the entities they share, some not near at all."""
    words = draw(st.sampled_from(_BASES)).split()
    for _ in range(draw(st.integers(0, 5))):
        at = draw(st.integers(0, len(words)))
        op = draw(st.sampled_from(["drop", "put", "add"]))
        if op == "drop" and at < len(words):
            del words[at]
        elif op == "put" and at < len(words):
            words[at] = draw(st.sampled_from(_EDITS))
        else:
            words.insert(at, draw(st.sampled_from(_EDITS)))
    return words


@settings(max_examples=150, deadline=None)
@given(st.lists(_saying(), min_size=1, max_size=14), st.data())
def test_near_pairs_are_the_gate_on_every_pair(sayings: list[list[str]], data: st.DataObject) -> None:
    """The rapidfuzz prefilter only leaves out pairs no gate can pass: near, near with shared
    entities, two empty texts, texts of other domains, any split into known and new."""
    texts = [Text(f"kv_{i:03d}", " ".join(words[:3]), " ".join(words),
                  data.draw(st.sampled_from(["metrics", "infra"])),
                  tuple(w for w in words if w[:1].isupper()))
             for i, words in enumerate(sayings)]
    cut = data.draw(st.integers(0, len(texts)))
    found = near_pairs(texts[cut:], texts[:cut], Norms()) + near_pairs(texts[:cut], [], Norms())
    assert sorted(set(found)) == _every_pair(texts)


def test_the_normalised_form_kept_is_the_texts_own() -> None:
    """`Norms` keeps normalised texts by id, checked against a hash of the text: an id said of
    another text (made up, as in the tests above) gets that text's form, not the one kept."""
    norm = Norms()
    first = norm(Text("kv_kept000001", "MRR", "MRR excludes setup fees", "metrics", ()))
    again = norm(Text("kv_kept000001", "ARR", "ARR includes trials", "metrics", ()))
    assert (first, again) == ("mrr mrr excludes setup fees", "arr arr includes trials")
    assert norm(Text("kv_kept000001", "ARR", "ARR includes trials", "metrics", ())) == again


_CHARS = st.text(st.sampled_from("ab é\u00e9x1 "), max_size=60)  # repeats: where blocks can tie


@settings(max_examples=400, deadline=None)
@given(a=st.one_of(_CHARS, st.lists(_WORDS, max_size=20).map(" ".join)),
       b=st.one_of(_CHARS, st.lists(_WORDS, max_size=20).map(" ".join)))
def test_cydifflib_scores_as_difflib_does(a: str, b: str) -> None:
    """The scores come from cydifflib (difflib's algorithm in C++): on any texts, short or long,
    with repeated blocks and non-ASCII, its matching blocks and ratios are difflib's, so the
    stored similarities and the near pairs do not depend on which one ran."""
    import difflib

    import cydifflib

    for x, y in ((a, b), (b, a)):
        slow = difflib.SequenceMatcher(None, x, y, autojunk=False)
        fast = cydifflib.SequenceMatcher(None, x, y, autojunk=False)
        assert [tuple(m) for m in fast.get_matching_blocks()] == slow.get_matching_blocks()
        assert (fast.ratio(), fast.quick_ratio()) == (slow.ratio(), slow.quick_ratio())
