"""The generalisation evaluation (`bench.verification`): its data, its scoring, and the rules'
figures on both halves -- the processor run end to end on one session file per phrasing family.

The held-out half is the measure of phrasings the rules were not tuned on. Its targets
(precision >= 0.95, recall >= 0.90 per type) are asserted; the types that do not meet them yet
are expected failures (strict: meeting a target turns the test red until the mark goes), and a
floor at the figures measured when the rules were frozen keeps them from getting worse.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.verification import (
    CASES,
    HALVES,
    NONE,
    TARGET_PRECISION,
    TARGET_RECALL,
    Case,
    Family,
    Found,
    Outcome,
    detect,
    load,
    score,
)
from sessiond.processors.verification.detection import DETECTION_TYPES

# Measured with `python -m bench.verification` when the rules were frozen (README, Verification).
HELDOUT_FLOOR = {  # type: (precision, recall)
    "correction": (1.0, 0.74),
    "confirmation": (1.0, 0.854),
    "unprompted_definition": (0.98, 0.944),
}
UNMET = {"correction": "held-out recall 0.74", "confirmation": "held-out recall 0.854"}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    families = load()
    out = {}
    for half in HALVES:
        chosen = [f for f in families if f.half == half]
        out[half] = score(chosen, detect(chosen, tmp_path_factory.mktemp(half)))
    return out


# -- the data ------------------------------------------------------------------------------------

def test_the_families_cover_every_type_in_both_halves() -> None:
    families = load()
    for half in HALVES:
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

@pytest.mark.parametrize("kind", DETECTION_TYPES)
def test_the_dev_half_meets_the_targets(outcomes: dict[str, Outcome], kind: str) -> None:
    s = outcomes["dev"].scores[kind]
    assert s.precision >= TARGET_PRECISION and s.recall >= TARGET_RECALL, (
        s, [(f.name, c.user) for f, c, _ in outcomes["dev"].misses])


@pytest.mark.parametrize("kind", [
    pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=UNMET[k])) if k in UNMET else k
    for k in DETECTION_TYPES
])
def test_the_heldout_half_meets_the_targets(outcomes: dict[str, Outcome], kind: str) -> None:
    s = outcomes["heldout"].scores[kind]
    assert s.precision >= TARGET_PRECISION, s
    assert s.recall >= TARGET_RECALL, s


@pytest.mark.parametrize("kind", DETECTION_TYPES)
def test_the_heldout_figures_do_not_get_worse(outcomes: dict[str, Outcome], kind: str) -> None:
    s = outcomes["heldout"].scores[kind]
    precision, recall = HELDOUT_FLOOR[kind]
    assert round(s.precision, 3) >= precision and round(s.recall, 3) >= recall, s
