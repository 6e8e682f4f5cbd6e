"""`bench.breakdown` (where a live append's latency goes) runs the real Service with timing
wrappers on its methods: a short run on a small tree accounts for every append, splits each one's
latency into its parts, times the writer's statements, and leaves the classes as they were (a renamed method fails here, not in someone's investigation)."""

from __future__ import annotations

import re
from pathlib import Path

from bench import breakdown
from sessiond.daemon import dispatcher, worker, writer
from sessiond.state import store


def test_a_short_run_accounts_for_every_append_and_unwraps(tmp_path: Path) -> None:
    before = [dispatcher.Dispatcher.dispatch, worker.Worker.run_batch, worker.Worker._committed,
              writer.Writer._commit, store._Tx.execute, store.Store._insert, store.Store._transaction]
    out = breakdown.run(files=12, rate=20.0, seconds=1.5, processors=["lines", "usage"],
                        workdir=tmp_path)
    appended, committed = map(int, re.search(r"^(\d+) appends.*; (\d+) committed by all", out, re.M).groups())
    assert appended >= 25 and committed == appended, out
    parts = {m[0]: float(m[1]) for m in re.findall(r"^  (debounce|queue|batch)\s+p50\s+([\d.]+) ms", out, re.M)}
    assert set(parts) == {"debounce", "queue", "batch"}, out
    assert parts["debounce"] >= 240, out  # the settle window (0.25 s by default)
    assert "insert into usage_records" in out and "(whole transaction)" in out, out
    after = [dispatcher.Dispatcher.dispatch, worker.Worker.run_batch, worker.Worker._committed,
             writer.Writer._commit, store._Tx.execute, store.Store._insert, store.Store._transaction]
    assert after == before


def test_a_run_on_an_existing_tree_and_state_warms_up_then_accounts_for_every_append(tmp_path: Path) -> None:
    """``--tree``: the first run's tree and state again (its state copied, its files appended
    to); each file's first append after the start is committed before the timed appends."""
    breakdown.run(files=8, rate=20.0, seconds=0.5, processors=["lines"], workdir=tmp_path / "a")
    state = tmp_path / "a" / "state.duckdb"
    size = state.stat().st_size
    (tmp_path / "b").mkdir()
    out = breakdown.run(files=100, rate=20.0, seconds=1.0, processors=["lines"], workdir=tmp_path / "b",
                        tree=(tmp_path / "a" / "root", state))
    appended, committed = map(int, re.search(r"^(\d+) appends.* over (?:\d+) files.*; (\d+) committed by all",
                                             out, re.M).groups())
    assert appended >= 15 and committed == appended, out
    assert "over 8 files" in out, out  # the tree's own files, not --files
    assert state.stat().st_size == size  # the copy was written, not the given state
