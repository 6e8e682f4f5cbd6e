"""Outputs are a function of the files' bytes: every way of reading a tree gives the tables of one
``run --once`` over its final bytes.

Hypothesis draws a tree (`tests.trees`) and a way of reading it: chunks cut anywhere (mid-line
included) written over several rounds, the daemon run between rounds with different settings
(a pass reading 97 bytes or 16 MiB, the parse pool or the worker's thread, 1 or 256 files per
batch), files first written with other content and rewritten, files that live a while and are
deleted; then ``reprocess`` of every processor, and a version bump. After each, every output
table of every processor -- per-file ones and shared ones (``knowledge_items``,
``knowledge_relations``, ``usage_calls``, the third-party plugin's ``prompt_firsts``) -- must
equal the reference's, row for row; only processing-time columns (`PROCESSING_TIME`) may differ.

Two ways to run it:

* in-process (`test_every_way_of_reading_gives_the_same_tables`, many examples): a real
  `Service` over real files and a real DuckDB file per round, the pool's code path run in threads
  (`daemon.pool.load` + `examine_shipped`: the rows cross as Arrow IPC, as from a process);
* a real daemon subprocess (`test_a_live_daemon_killed_and_restarted_gives_the_same_tables`, a
  few examples; ``-m slow`` runs many): chunks appended live while it runs with the real spawn
  pool, ``kill -9`` and restarts in between.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from sessiond.daemon import pool
from sessiond.daemon.discovery import classify
from sessiond.daemon.service import Service
from sessiond.daemon.settings import Settings
from sessiond.processors.contract import Processor
from sessiond.processors.lines import LinesProcessor
from sessiond.processors.usage import UsageProcessor
from sessiond.processors.verification import VerificationProcessor
from tests.harness import (
    CursorLog,
    Daemon,
    complete_part,
    prefix_hash,
    run_once,
    state_cursors,
    wait_until,
)
from tests.plugin import PromptIndex
from tests.trees import Plan, Tree, plans, trees

FRAMEWORK = frozenset({"session_processor_state", "schema_version"})
PROCESSING_TIME = frozenset({"created_at", "processed_at"})
PLUGIN = "tests.plugin:PromptIndex"


def processors() -> list[Processor]:
    return [LinesProcessor(), UsageProcessor(), VerificationProcessor(), PromptIndex()]


def bumped(ps: Sequence[Processor]) -> list[Processor]:
    """The same processors, each one version later (everything is redone)."""
    return [type(type(p).__name__, (type(p),), {"version": p.version + 1})() for p in ps]


def threads(blob: bytes, workers: int) -> Executor:
    """The pool's path -- pickled processors, `examine_shipped`, Arrow IPC -- in threads."""
    return ThreadPoolExecutor(max_workers=workers, initializer=pool.load, initargs=(blob,))


def tables(state: Path) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every output table (not the framework's), as a multiset of rows without the
    processing-time columns."""
    con = duckdb.connect(str(state), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall() if r[0] not in FRAMEWORK]
        out: dict[str, Counter[tuple[Any, ...]]] = {}
        for name in names:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [name]).fetchall() if r[0] not in PROCESSING_TIME]
            rows = con.execute(f'SELECT {", ".join(cols)} FROM "{name}"').fetchall()
            out[name] = Counter(tuple(tuple(v) if isinstance(v, list) else v for v in row)
                                for row in rows)
        return out
    finally:
        con.close()


def assert_same(got: dict[str, Counter[tuple[Any, ...]]], want: dict[str, Counter[tuple[Any, ...]]],
                how: str) -> None:
    assert sorted(got) == sorted(want), how
    diff = {}
    for name in want:
        missing, extra = want[name] - got[name], got[name] - want[name]
        if missing or extra:
            diff[name] = {"missing": sorted(missing.elements(), key=repr)[:5],
                          "extra": sorted(extra.elements(), key=repr)[:5]}
    assert not diff, f"{how}: tables differ from one run over the final bytes: {diff}"


def run(root: Path, state: Path, ps: Sequence[Processor] | None = None, *, pool_: bool = False,
        pass_bytes: int = 16 << 20, batch_files: int = 256,
        before: Callable[[Service], None] | None = None) -> None:
    s = Settings(root=root, state=state, watch=False, pass_bytes=pass_bytes,
                 batch_files=batch_files, parse_workers=2 if pool_ else 0, parse_min_bytes=1)
    service = Service(s, ps if ps is not None else processors(), executors=threads)
    if before is not None:
        before(service)
    assert service.run_once() == 0


def reference(tree: Tree, where: Path) -> dict[str, Counter[tuple[Any, ...]]]:
    root = where / "root"
    for key, data in tree.files.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    run(root, where / "ref.duckdb")
    return tables(where / "ref.duckdb")


def read_by_plan(tree: Tree, plan: Plan, root: Path, state: Path) -> None:
    """Write the tree as the plan says, running the daemon after every round."""
    keys = sorted(tree.files)
    started: set[str] = set()
    for key in plan.rewritten:  # other content first: some other file's (or mangled) bytes
        other = keys[(keys.index(key) + 1) % len(keys)]
        junk = tree.files[other] if other != key else tree.files[key].replace(b"MRR", b"ARR")
        _write(root / key, junk, "wb")
    for i, ghost in enumerate(plan.ghosts):
        _write(root / ghost, tree.files[keys[i % len(keys)]], "wb")
    last = len(plan.rounds) - 1
    for n, r in enumerate(plan.rounds):
        for key, start, end in r.writes:
            fresh = key not in started
            started.add(key)
            _write(root / key, tree.files[key][start:end], "wb" if fresh else "ab")
        if n == last:
            for ghost in plan.ghosts:
                (root / ghost).unlink()
        run(root, state, pool_=r.pool, pass_bytes=r.pass_bytes, batch_files=r.batch_files)
    run(root, state)  # whatever a small pass_bytes left for later


def _write(path: Path, data: bytes, mode: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open(mode) as fh:
        fh.write(data)


def _describe(want: dict[str, Counter[tuple[Any, ...]]], plan: Plan) -> None:
    """What an example covers (``--hypothesis-show-statistics``)."""
    kinds = {row[15] for row in want["verification_detections"]}  # match_kind
    event(f"knowledge items: {min(len(want['knowledge_items']), 5)}{'+' if len(want['knowledge_items']) >= 5 else ''}")
    event(f"placements: {sorted(kinds)}")
    event(f"relations: {sorted({row[2] for row in want['knowledge_relations']})}")
    event(f"statement from an earlier line: {any(r[9] for r in want['verification_detections'])}")
    event(f"rounds: {len(plan.rounds)}, rewritten: {bool(plan.rewritten)}, ghosts: {bool(plan.ghosts)}")
    event(f"pool rounds: {sum(r.pool for r in plan.rounds)}")


IN_PROCESS = settings(
    max_examples=int(os.environ.get("SESSIOND_DIFF_EXAMPLES", "25")),
    deadline=None,
    # no shrinking: an example runs real services for seconds; the failure shows the example
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


@pytest.mark.timeout(900)
@IN_PROCESS
@given(data=st.data(), redo=st.booleans())
def test_every_way_of_reading_gives_the_same_tables(data: st.DataObject, redo: bool) -> None:
    tree = data.draw(trees(), label="tree")
    plan = data.draw(plans(tree), label="plan")
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        want = reference(tree, where / "ref")
        _describe(want, plan)
        root, state = where / "root", where / "state.duckdb"
        read_by_plan(tree, plan, root, state)
        assert_same(tables(state), want, "read in rounds")
        run(root, state)  # nothing new: nothing changes
        assert_same(tables(state), want, "a run with nothing new")
        if redo:  # reprocess every processor (through the operation), then a version bump
            def reprocess(service: Service) -> None:
                for name in service.workers:
                    service.ops.reprocess(name)
            run(root, state, before=reprocess)
            assert_same(tables(state), want, "after reprocess")
            run(root, state, bumped(processors()))
            assert_same(tables(state), want, "after a version bump")


# -- a real daemon, live ------------------------------------------------------------------------

LIVE_ENV = {"SESSIOND_SETTLE": "0.05", "SESSIOND_MAX_DELAY": "0.2", "SESSIOND_PARSE_MIN_BYTES": "1",
            "SESSIOND_BACKOFF_BASE": "0.05", "SESSIOND_BACKOFF_CAP": "0.5"}
NAMES = ("lines", "usage", "verification", "prompts")


def _wanted(tree: Tree) -> dict[str, dict[str, tuple[int, str]]]:
    """Per processor, the cursor each file it wants ends at (files with complete lines)."""
    out: dict[str, dict[str, tuple[int, str]]] = {}
    for p in processors():
        out[p.name] = {}
        for key, data in tree.files.items():
            f = classify(key)
            whole = complete_part(data)
            if f is not None and p.wants(f) and whole:
                out[p.name][key] = (len(whole), prefix_hash(whole))
    return out


@contextmanager
def live(root: Path, state: Path, pass_bytes: int) -> Iterator[tuple[Daemon, dict[str, CursorLog]]]:
    initial = {n: state_cursors(state, n) for n in NAMES}
    daemon = Daemon("--root", str(root), "--state", str(state), "--scan-interval", "3600",
                    "--processors", f"lines,usage,verification,{PLUGIN}",
                    env={**LIVE_ENV, "SESSIOND_PASS_BYTES": str(pass_bytes)})
    try:
        daemon.wait_for("daemon.ready", timeout=60)
        yield daemon, {n: CursorLog(daemon, initial[n], n) for n in NAMES}
    finally:
        if daemon.proc.poll() is None:
            daemon.kill9()


def _caught_up(logs: dict[str, CursorLog], wanted: dict[str, dict[str, tuple[int, str]]]) -> bool:
    for name, log in logs.items():
        log.update()
        assert not log.problems, log.problems
        if any(log.known.get(k) != pos for k, pos in wanted[name].items()):
            return False
    return True


def _committed_so_far(logs: dict[str, CursorLog], key: str, written: bytes) -> None:
    """Wait until `lines` (it wants every session file) committed the complete lines written to
    ``key`` so far: the next chunk is then a separate append."""
    whole = complete_part(written)
    if classify(key) is None or not whole:
        return
    log = logs["lines"]

    def there() -> bool:
        log.update()
        return log.known.get(key, (0, ""))[0] >= len(whole)
    wait_until(there, timeout=60, what=f"lines to commit {key} up to {len(whole)}")


def live_example(tree: Tree, chunks: list[tuple[str, int, int]], kills: set[int],
                 pass_bytes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        want = reference(tree, where / "ref")
        root, state = where / "root", where / "state.duckdb"
        root.mkdir()
        wanted = _wanted(tree)
        i = pooled = restarts = 0
        while i < len(chunks):
            with live(root, state, pass_bytes) as (daemon, logs):
                while i < len(chunks):
                    key, start, end = chunks[i]
                    _write(root / key, tree.files[key][start:end], "wb" if start == 0 else "ab")
                    i += 1
                    if i in kills:  # now, whatever is in flight
                        daemon.kill9()
                        break
                    if i % 3 == 0:  # some chunks arrive as separate appends: wait for this one
                        _committed_so_far(logs, key, tree.files[key][:end])
                else:
                    def caught_up() -> bool:
                        assert daemon.proc.poll() is None, daemon.stderr.decode(errors="replace")
                        return _caught_up(logs, wanted)

                    wait_until(caught_up, timeout=90, what="the live daemon to commit every file")
                    assert daemon.stop() == 0, daemon.stderr.decode(errors="replace")
                pooled += len(daemon.named("pool.started"))
                restarts += 1
        once = run_once("--root", str(root), "--state", str(state),
                        "--processors", f"lines,usage,verification,{PLUGIN}")
        assert once.returncode == 0, once.stderr
        event(f"daemon runs: {restarts}; pool started: {pooled > 0}")
        assert_same(tables(state), want, "appended live, with kill -9 and restarts")


@st.composite
def live_cases(draw: st.DrawFn) -> tuple[Tree, list[tuple[str, int, int]], set[int], int]:
    tree = draw(trees())
    plan = draw(plans(tree))
    chunks = [w for r in plan.rounds for w in r.writes]
    kills = set(draw(st.lists(st.integers(1, len(chunks)), min_size=1, max_size=3)))
    return tree, chunks, kills, draw(st.sampled_from([1500, 16 << 20]))


LIVE = settings(max_examples=3, deadline=None, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.timeout(900)
@LIVE
@given(case=live_cases())
def test_a_live_daemon_killed_and_restarted_gives_the_same_tables(
        case: tuple[Tree, list[tuple[str, int, int]], set[int], int]) -> None:
    live_example(*case)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@settings(LIVE, max_examples=25)
@given(case=live_cases())
def test_a_live_daemon_killed_and_restarted_gives_the_same_tables_long(
        case: tuple[Tree, list[tuple[str, int, int]], set[int], int]) -> None:
    live_example(*case)
