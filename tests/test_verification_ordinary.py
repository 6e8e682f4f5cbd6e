"""The ordinary-turns evaluation (`bench.ordinary`): its data, and how often the processor fires on
turns that are none of the three moments -- run end to end as `bench.verification` runs its
families. The development turns are trained on and were mended against, so their figure is a
ceiling kept; the held-out ones (``fresh/``) were measured once, and their figure is a ceiling too."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import ordinary
from bench.learned import development
from bench.verification import Found
from tests.test_verification_support import family_toml

# detections per 1,000 turns, measured when the judgement and the rules were last changed
# (2026-12-06, verification version 51): the development turns (21,650, trained on) 3.5; the
# held-out ones (450, the forty-ninth set: a week of a veterinary clinic chain's two-person software
# team; never read nor trained on) 26.7 -- 8 by the rules, 4 by the judgement (version 50 on them,
# unseen: 22.2, 7 and 3; the rules alone 64.4 with version 51)
DEVELOPMENT_MEASURED = 3.5
FRESH_MEASURED = 26.7
MARGIN = 10.0  # per 1,000: five more turns of 450 fail the test


def _family(name: str, kind: str = "none", half: str | None = None, user: str = "ok, commit it") -> str:
    return family_toml(name, kind, half, [("Tests pass.", user, None)] * 6)


def test_ordinary_families_are_none_and_the_held_out_ones_are_read_apart(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(_family("a"))
    assert [(f.name, f.half) for f in ordinary.load(tmp_path)] == [("a", ordinary.HALF)]
    assert ordinary.load(tmp_path, fresh=True) == []
    (tmp_path / "fresh").mkdir()
    (tmp_path / "fresh" / "b.toml").write_text(_family("b"))
    assert [(f.name, f.half) for f in ordinary.load(tmp_path, fresh=True)] == [("b", ordinary.FRESH)]
    (tmp_path / "c.toml").write_text(_family("c", "correction"))
    with pytest.raises(ValueError, match="a positive case needs a 'key'"):
        ordinary.load(tmp_path)
    (tmp_path / "c.toml").write_text(_family("c", half="fresh"))
    with pytest.raises(ValueError, match="half 'ordinary'"):
        ordinary.load(tmp_path)


def test_the_judgement_learns_from_the_development_turns_only() -> None:
    halves = {f.half for f in development()}
    assert ordinary.HALF in halves and ordinary.FRESH not in halves


def test_the_command_prints_no_held_out_turn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ordinary.main(["--cases", str(tmp_path)]) == 2  # nothing to measure
    (tmp_path / "fresh").mkdir()
    turn = "FYI our fiscal quarters start in February (ZQX-ORDINARY)."  # a definition: it fires
    (tmp_path / "fresh" / "b.toml").write_text(_family("b", user=turn))
    (tmp_path / "a.toml").write_text(_family("a", user=turn))
    assert ordinary.main(["--cases", str(tmp_path), "--list"]) == 0
    out = capsys.readouterr().out
    assert "held out (fresh/): 1 families, 6 ordinary turns" in out
    assert out.count("[a]") == 12 and "[b]" not in out  # listed (with the judgement, alone) for the development turns only
    assert "  rules and judgement: 6 detections on 6 ordinary turns" in out


def test_the_report_counts_per_thousand(capsys: pytest.CaptureFixture[str]) -> None:
    fam = ordinary.load(ordinary.CASES)[0]
    hits = [(fam, "ok", Found("correction", "x", "rules")), (fam, "k", Found("confirmation", "y", "learned"))]
    ordinary.report("t", 400, hits, details=False)
    out = capsys.readouterr().out
    assert "2 detections on 400 ordinary turns = 5.0 per 1,000" in out
    assert "correction 1, confirmation 1, unprompted_definition 0; by learned 1, rules 1" in out


def _rate(families: list, judgement: bool = True) -> float:
    turns = sum(len(f.cases) for f in families)
    return 1000 * len(ordinary.fired(families, judgement=judgement)) / turns


def test_the_development_turns_stay_below_what_was_measured() -> None:
    assert _rate(ordinary.load()) <= DEVELOPMENT_MEASURED + MARGIN


def test_the_held_out_turns_stay_below_what_was_measured() -> None:
    """A ceiling, not a target: about one held-out ordinary turn in 50 still gives a
    detection (README, "What the rules do not catch")."""
    families = ordinary.load(fresh=True)
    if not families:
        pytest.skip(f"no held-out ordinary turns in {ordinary.CASES / 'fresh'}")
    assert _rate(families) <= FRESH_MEASURED + MARGIN
