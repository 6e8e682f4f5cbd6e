"""The generalisation evaluation (`bench.verification`): its data, its scoring, and the rules'
figures -- the processor run end to end on one session file per phrasing family.

The top-level families (dev and heldout halves) and the opened earlier held-out rounds
(`fresh-1/` to `fresh-65/`) are development data: the rules were
tuned on them, and the targets (precision >= 0.95, recall >= 0.90 per type) are asserted on each.
The held-out measure is `bench/verification_cases/fresh/`, written apart from the rules and
never read by whoever tunes them: measured once the rules are frozen, its unmet targets are strict
expected failures and its figures a floor.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.verification import (
    CASES,
    DEVELOPMENT,
    FRESH,
    NONE,
    OPENED,
    TARGET_PRECISION,
    TARGET_RECALL,
    Case,
    Family,
    Found,
    Outcome,
    detect,
    load,
    main,
    score,
)
from sessiond.processors.verification.detection import DETECTION_TYPES
from tests.test_verification_support import family_toml

# The first test to use `outcomes` runs the processor on every development half (63 of them, over
# 25,000 turns): 1.5-3 minutes by the machine, more with each round opened. Bounded work, not a
# daemon that may hang, so the module's limit is the whole run's, not the default 120 s.
pytestmark = pytest.mark.timeout(900)

@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    families = load()
    out = {}
    for half in (*DEVELOPMENT, *OPENED):
        chosen = [f for f in families if f.half == half]
        out[half] = score(chosen, detect(chosen, tmp_path_factory.mktemp(half)))
    return out


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    chosen = [f for f in load(fresh=True) if f.half == FRESH]
    if not chosen:
        pytest.skip(f"no held-out families in {CASES / FRESH} yet")
    return score(chosen, detect(chosen, tmp_path_factory.mktemp(FRESH)))


# -- the data ------------------------------------------------------------------------------------

def test_the_families_cover_every_type_in_both_development_halves() -> None:
    families = load()
    assert {f.half for f in families} == {*DEVELOPMENT, *OPENED}  # fresh/ is read only when asked
    for half in DEVELOPMENT:
        for kind in DETECTION_TYPES:
            assert sum(f.type == kind and f.half == half for f in families) >= 6, (half, kind)
    assert sum(f.type == NONE for f in families) >= 12
    assert all(len(f.cases) >= 6 for f in families)
    positives = [(f, c) for f in families if f.type != NONE for c in f.cases]
    assert all(c.key for _, c in positives)


def test_a_split_that_disagrees_with_the_rule_is_refused(tmp_path: Path) -> None:
    for path in CASES.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    target = tmp_path / "correction.toml"
    text = target.read_text(encoding="utf-8")
    flipped = text.replace('half = "dev"', 'half = "HELD"').replace('half = "heldout"', 'half = "dev"')
    target.write_text(flipped.replace('half = "HELD"', 'half = "heldout"'), encoding="utf-8")
    with pytest.raises(ValueError, match="recorded split disagrees"):
        load(tmp_path)


def test_a_positive_case_without_a_key_is_refused(tmp_path: Path) -> None:
    cases = ", ".join('{assistant = "A.", user = "no, B is C"}' for _ in range(6))
    (tmp_path / "x.toml").write_text(
        f'[[family]]\nname = "x"\ntype = "correction"\nhalf = "dev"\ncases = [{cases}]\n')
    with pytest.raises(ValueError, match="needs a 'key'"):
        load(tmp_path)


WRONG = ("The free plan allows 10 seats.", "no, the free plan is capped at 3 seats", "capped at 3 seats")
MISSED = ("The free plan allows 10 seats.", "ZQX-UNMATCHED", "capped at 3 seats")


def test_the_fresh_half_is_its_subfolder_read_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(family_toml("c", "correction", "dev", [WRONG] * 6))
    assert [f.half for f in load(tmp_path, fresh=True)] == ["dev"]  # no fresh/ yet: none
    (tmp_path / FRESH).mkdir()
    (tmp_path / FRESH / "f.toml").write_text(family_toml("f", "correction", None, [WRONG] * 6))
    assert [f.name for f in load(tmp_path)] == ["c"]
    assert [(f.name, f.half) for f in load(tmp_path, fresh=True)] == [("c", "dev"), ("f", FRESH)]
    (tmp_path / FRESH / "g.toml").write_text(family_toml("c", "correction", "fresh", [WRONG] * 6))
    assert [f.name for f in load(tmp_path, fresh=True)] == ["c", "f", "c"]  # each half its own tree
    (tmp_path / FRESH / "g.toml").write_text(family_toml("g", "correction", "dev", [WRONG] * 6))
    with pytest.raises(ValueError, match="are the 'fresh' half"):
        load(tmp_path, fresh=True)
    (tmp_path / FRESH / "g.toml").write_text("[[family]\nname = ")  # being written
    with pytest.raises(ValueError, match="not readable as TOML"):
        load(tmp_path, fresh=True)


def test_the_command_lists_no_fresh_case_and_fails_on_its_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "c.toml").write_text(family_toml("c", "correction", "dev", [MISSED] * 6))
    assert main(["--cases", str(tmp_path), "--half", FRESH]) == 2  # asked for, and none
    assert main(["--cases", str(tmp_path)]) == 0  # all halves: a missing fresh half is noted
    assert "fresh half: no families" in capsys.readouterr().out
    (tmp_path / FRESH).mkdir()
    (tmp_path / FRESH / "f.toml").write_text(family_toml("f", "correction", None, [MISSED] * 6))
    assert main(["--cases", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.count("ZQX-UNMATCHED") == 6  # the dev half's misses are listed, the fresh ones not
    assert "fresh half, held out" in out
    assert "development halves together (1 with families): 0 hits, 0 false positives" in out
    assert main(["--cases", str(tmp_path), "--half", "development"]) == 0  # everything but fresh
    out = capsys.readouterr().out
    assert "fresh half" not in out and out.count("ZQX-UNMATCHED") == 6


def test_the_command_measures_the_rules_alone_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a correction the rules miss and the judgement finds (`test_verification_learned.MISSED`)
    turn = ("The invoices table is partitioned by month.", "its partitioned by day since march", "partitioned by day")
    (tmp_path / "c.toml").write_text(family_toml("c", "correction", "dev", [turn] * 6))
    for argv, hits in (([], 6), (["--rules-alone"], 0)):
        assert main(["--cases", str(tmp_path), "--half", "dev", *argv]) == 0
        out = capsys.readouterr().out
        assert f"correction                 6     {hits}" in out, out


# -- the scoring ---------------------------------------------------------------------------------

def test_a_hit_needs_the_type_and_the_key_and_anything_else_is_a_false_positive() -> None:
    right = Family("c", "correction", "dev", "", (Case("A.", "no, X", "mrr excludes fees"),
                                                   Case("A.", "no, Y", "churn is monthly")))
    near = Family("n", NONE, "dev", "", (Case("A?", "no thanks", None),))
    found = {
        "c": {2: [Found("correction", "MRR excludes  fees.")],  # the key, case and spaces aside
              4: [Found("correction", "Churn is weekly")]},  # the right type without the fact
        "n": {2: [Found("unprompted_definition", "Thanks")]},
    }
    outcome = score([right, near], found)
    c, d = outcome.scores["correction"], outcome.scores["unprompted_definition"]
    assert (c.cases, c.hits, c.detections, c.true) == (2, 1, 2, 1)
    assert (c.precision, c.recall) == (0.5, 0.5)
    assert (d.detections, d.true, d.precision) == (1, 0, 0.0)
    assert [case.key for _, case, _ in outcome.misses] == ["churn is monthly"]
    assert len(outcome.false_positives) == 2


# -- the figures ---------------------------------------------------------------------------------

# An opened round a tuning round did not bring to the targets (measured when it ended): its
# figures are a floor, and the targets strict expected failures, as for the fresh half.
OPENED_UNMET: dict[tuple[str, str], tuple[float, float]] = {
    # the fourteenth to seventy-fourth rounds: the judgement was trained on each after it was measured;
    # the rules were tuned on the eighteenth (round 16), on three shapes of the seventeenth's false
    # positives, on each of the nineteenth to twenty-eighth (rounds 17 to 26), and on the
    # seventy-third and seventy-fourth (the thirty-fourth session); the twenty-ninth to seventy-second
    # were opened untuned (the nineteenth and twentieth sessions mended the rules on ordinary turns
    # instead, `bench.ordinary`; the thirty-third to thirty-sixth, thirty-eighth to forty-fourth,
    # forty-sixth to fifty-first, fifty-third to fifty-sixth, fifty-eighth and sixtieth were written
    # as training data and measured once before it).
    # Measured after the thirty-fourth session's last change (version 51: rules from the
    # seventy-fourth round and the judgement trained on it and one more set of ordinary turns;
    # version 50 before it: rules from the seventy-third round, the judgement trained on it)
    ("fresh-14", "correction"): (0.948, 0.973),
    ("fresh-20", "correction"): (0.944, 0.911),
    ("fresh-21", "correction"): (0.945, 0.920),
    ("fresh-22", "correction"): (0.912, 0.929),
    ("fresh-24", "correction"): (0.946, 0.946),
    ("fresh-25", "correction"): (0.939, 0.955),
    ("fresh-28", "confirmation"): (0.945, 0.929),
    ("fresh-29", "confirmation"): (0.946, 0.938),
    ("fresh-31", "correction"): (0.939, 0.964),
    ("fresh-32", "correction"): (0.930, 0.955),
    ("fresh-33", "correction"): (0.935, 0.902),
    ("fresh-34", "confirmation"): (0.937, 0.929),
    ("fresh-34", "correction"): (0.936, 0.920),
    ("fresh-35", "correction"): (0.940, 0.982),
    ("fresh-37", "confirmation"): (0.918, 0.902),
    ("fresh-39", "correction"): (0.938, 0.938),
    ("fresh-42", "correction"): (0.938, 0.946),
    ("fresh-43", "unprompted_definition"): (0.947, 0.955),
    ("fresh-45", "correction"): (0.929, 0.938),
    ("fresh-48", "correction"): (0.939, 0.955),
    ("fresh-49", "correction"): (0.929, 0.938),
    ("fresh-50", "correction"): (0.892, 0.884),
    ("fresh-51", "correction"): (0.920, 0.929),
    ("fresh-51", "unprompted_definition"): (0.936, 0.911),
    ("fresh-52", "correction"): (0.909, 0.893),
    ("fresh-53", "confirmation"): (0.945, 0.929),
    ("fresh-53", "correction"): (0.921, 0.938),
    ("fresh-53", "unprompted_definition"): (0.990, 0.893),
    ("fresh-55", "correction"): (0.882, 0.938),
    ("fresh-56", "confirmation"): (0.935, 0.902),
    ("fresh-57", "correction"): (0.894, 0.902),
    ("fresh-58", "unprompted_definition"): (0.934, 0.887),
    ("fresh-60", "confirmation"): (0.939, 0.958),
    ("fresh-60", "correction"): (0.865, 0.963),
    ("fresh-60", "unprompted_definition"): (0.944, 0.850),
    ("fresh-62", "correction"): (0.939, 0.964),
    ("fresh-64", "unprompted_definition"): (0.947, 0.964),
    ("fresh-65", "correction"): (0.939, 0.955),
    ("fresh-66", "correction"): (0.947, 0.955),
    ("fresh-72", "correction"): (0.946, 0.946)}


@pytest.mark.parametrize(("half", "kind"), [
    pytest.param(h, k, marks=pytest.mark.xfail(strict=True, reason=f"{h} P/R {OPENED_UNMET[(h, k)]}"))
    if (h, k) in OPENED_UNMET else (h, k)
    for h in (*DEVELOPMENT, *OPENED) for k in DETECTION_TYPES])
def test_the_development_halves_meet_the_targets(
    outcomes: dict[str, Outcome], half: str, kind: str
) -> None:
    s = outcomes[half].scores[kind]
    assert s.precision >= TARGET_PRECISION and s.recall >= TARGET_RECALL, (
        s, [(f.name, c.user) for f, c, _ in outcomes[half].misses])


@pytest.mark.parametrize(("half", "kind"), sorted(OPENED_UNMET))
def test_an_opened_half_short_of_the_targets_keeps_what_it_reached(
    outcomes: dict[str, Outcome], half: str, kind: str
) -> None:
    s = outcomes[half].scores[kind]
    precision, recall = OPENED_UNMET[(half, kind)]
    assert s.precision >= precision - 0.02 and s.recall >= recall - 0.02, (s.precision, s.recall)


# The held-out round (fresh/, the seventy-fifth: 57 families, 456 cases; IT operations, security
# and internal tooling -- see `bench/briefs/README.md` for who wrote it and from what brief -- mixed
# in every family, every shape of each moment, chat style and prose in every family), written by an
# engineer who read neither the rules nor any other case file. Measured in the thirty-fourth
# session, never read: the rules alone (0.957, 0.786), (0.967, 0.786), (0.909, 0.804) with version
# 50 and (0.957, 0.786), (0.967, 0.786), (0.919, 0.812) with version 51; version 50 (a worktree of
# 069ab65, trained on neither the seventy-fourth round nor this one) (0.963, 0.920), (0.982, 0.964),
# (0.963, 0.929); version 51, trained on the seventy-fourth round and one more set of ordinary turns
# (55,665 cases): the figures below -- every type meets both targets, with both versions.
# (The seventy-fourth round, held out before it, is `fresh-74/` now: version 49 gave it (0.907,
# 0.875), (0.980, 0.857), (0.881, 0.929) and version 50 (0.917, 0.884), (0.980, 0.866), (0.914,
# 0.946); the seventy-third, `fresh-73/`, (0.936, 0.911), (0.951, 0.875), (0.919, 0.911) with
# version 49. One round moves a type by a case or two from one retraining to the next: three seeds
# over fold B of `bench.learned`'s data, BENCHMARKS, thirty-third session.)
FRESH_MEASURED = {"correction": (0.963, 0.929), "confirmation": (0.982, 0.955),
                  "unprompted_definition": (0.972, 0.920)}


@pytest.mark.parametrize("kind", [
    pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=f"fresh half P/R {FRESH_MEASURED[k]}"))
    if FRESH_MEASURED[k][0] < TARGET_PRECISION or FRESH_MEASURED[k][1] < TARGET_RECALL else k
    for k in DETECTION_TYPES])
def test_the_fresh_half_meets_the_targets(fresh: Outcome, kind: str) -> None:
    s = fresh.scores[kind]  # figures only: the held-out cases are never printed
    assert s.precision >= TARGET_PRECISION, (round(s.precision, 3), s.detections)
    assert s.recall >= TARGET_RECALL, (round(s.recall, 3), s.cases)


@pytest.mark.parametrize("kind", DETECTION_TYPES)
def test_the_fresh_half_does_not_fall_below_what_was_measured(fresh: Outcome, kind: str) -> None:
    """A floor (the measured figures less 0.02), so a rule change that loses unseen phrasings
    fails here even while the targets are out of reach."""
    s = fresh.scores[kind]
    precision, recall = FRESH_MEASURED[kind]
    assert s.precision >= precision - 0.02 and s.recall >= recall - 0.02, (s.precision, s.recall)
