"""`python -m bench.turns`: each family's turns paired as the evaluation writes them, timed, and
a digest that changes with what the rules and the judgement find."""

from __future__ import annotations

import pytest

from bench import turns
from bench.verification import load


def test_it_times_every_turn_and_prints_a_digest_of_what_was_found(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    families = load()[:4]
    monkeypatch.setattr(turns, "load", lambda: families)
    every = turns.exchanges()
    assert len(every) == sum(len(f.cases) for f in families)
    assert turns.main(["--repeat", "1"]) == 0
    first = capsys.readouterr().out
    assert first.startswith(f"{len(every)} turns, best of 1: ") and "ms a turn; candidates digest " in first
    monkeypatch.setattr(turns, "load", lambda: families[1:])
    turns.main(["--repeat", "1"])
    assert capsys.readouterr().out.split()[-1] != first.split()[-1]
