"""The original session pipeline's algorithm, re-implemented as a baseline (comparison only).

From shared/reference/original-pipeline.md, per processor run:

1. load every state row of the processor from ``session_processor_state``;
2. walk every user folder and pick a file if it has no row or its mtime is newer than the
   row's ``processed_at`` (wall clock);
3. MD5 the whole file (``read_bytes``); skip it if the hash matches the row;
4. parse the whole file with ``json`` and call the processor;
5. insert its rows one ``INSERT`` at a time (autocommit: one transaction each), events with
   insert-or-ignore, and upsert the state row.

Two processors, as in the original: ``usage`` (an event row per ``tool_use`` and per slash
command, ``is_error`` from the matching ``tool_result``, one session-summary upsert with token
sums -- no ``message.id`` dedup, as the original had none) and ``verification`` (the last 100
lines' turns, as input to an LLM). The LLM call is **not** made (it cost seconds per file in
the original): the baseline's verification is MD5 + whole-file parse + the state upsert only, so
every ratio against this baseline is conservative (the real original was slower).

One deliberate difference: the walk also visits ``<session>/subagents/*.jsonl``, so both sides
handle the same files (the original walked one folder level only, and would have seen fewer).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS session_processor_state (
        processor_name VARCHAR NOT NULL, session_file VARCHAR NOT NULL, username VARCHAR,
        processed_at TIMESTAMP, items_extracted INTEGER, file_hash VARCHAR,
        PRIMARY KEY (processor_name, session_file))""",
    """CREATE TABLE IF NOT EXISTS usage_events (
        event_id VARCHAR PRIMARY KEY, session_file VARCHAR, username VARCHAR, ts VARCHAR,
        event_type VARCHAR, tool_name VARCHAR, item_name VARCHAR, is_error BOOLEAN)""",
    """CREATE TABLE IF NOT EXISTS usage_sessions (
        session_file VARCHAR PRIMARY KEY, username VARCHAR, started_at VARCHAR,
        ended_at VARCHAR, wall_seconds DOUBLE, active_seconds DOUBLE, user_messages INTEGER,
        assistant_messages INTEGER, tool_calls INTEGER, primary_model VARCHAR,
        input_tokens BIGINT, output_tokens BIGINT, cache_creation_tokens BIGINT,
        cache_read_tokens BIGINT)""",
)
_COMMAND = re.compile(r"<command-name>\s*/?([^<>\s]{1,200})\s*</command-name>")
PROCESSORS = ("usage", "verification")


@dataclass
class RunStats:
    """The original's per-run stats (processor, scanned, processed, skipped, ...)."""

    processor: str
    scanned: int = 0
    processed: int = 0
    skipped: int = 0
    errors: int = 0
    items_extracted: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)

    def add(self, phase: str, seconds: float) -> None:
        self.phases[phase] = self.phases.get(phase, 0.0) + seconds


def walk(root: Path) -> Iterator[tuple[str, str, str]]:
    """(user, key, path) of every transcript: ``<user>/*.jsonl`` and subagent files."""
    for user in sorted(os.listdir(root)):
        udir = root / user
        if not udir.is_dir():
            continue
        for path in sorted(udir.glob("*.jsonl")):
            yield user, f"{user}/{path.name}", str(path)
        for path in sorted(udir.glob("*/subagents/*.jsonl")):
            yield user, str(path.relative_to(root)), str(path)


class Original:
    def __init__(self, root: Path, db: Path) -> None:
        self.root = root
        self.con = duckdb.connect(str(db))
        for ddl in SCHEMA:
            self.con.execute(ddl)

    def close(self) -> None:
        self.con.close()

    # -- the scheduler's call: POST /api/admin/run-session-processor?processor=<name> --------
    def run(self, processor: str) -> RunStats:
        stats = RunStats(processor)
        started = time.perf_counter()
        t = time.perf_counter()
        state = {
            f: (at, h) for f, at, h in self.con.execute(
                "SELECT session_file, processed_at, file_hash FROM session_processor_state "
                "WHERE processor_name = ?", [processor]).fetchall()
        }
        stats.add("load_state", time.perf_counter() - t)
        t = time.perf_counter()
        todo = []
        for user, key, path in walk(self.root):
            stats.scanned += 1
            row = state.get(key)
            mtime = dt.datetime.fromtimestamp(os.path.getmtime(path))
            if row is not None and row[0] is not None and mtime <= row[0]:
                stats.skipped += 1
                continue
            todo.append((user, key, path, row))
        stats.add("walk", time.perf_counter() - t)
        for user, key, path, row in todo:
            try:
                self._one(processor, user, key, path, row, stats)
            except Exception:  # left untouched, retried next run
                stats.errors += 1
        stats.seconds = time.perf_counter() - started
        return stats

    def _one(self, processor: str, user: str, key: str, path: str,
             row: tuple[Any, str] | None, stats: RunStats) -> None:
        t = time.perf_counter()
        data = Path(path).read_bytes()
        digest = hashlib.md5(data).hexdigest()
        stats.add("md5", time.perf_counter() - t)
        if row is not None and row[1] == digest:
            stats.skipped += 1
            return
        t = time.perf_counter()
        records = []
        for line in data.decode("utf-8", errors="replace").splitlines():
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        stats.add("parse", time.perf_counter() - t)
        t = time.perf_counter()
        if processor == "usage":
            items = self._usage(user, key, records)
        else:
            items = self._verification(records)
        stats.add("process+insert", time.perf_counter() - t)
        t = time.perf_counter()
        self.con.execute(
            "INSERT INTO session_processor_state VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (processor_name, session_file) DO UPDATE SET "
            "processed_at = excluded.processed_at, items_extracted = excluded.items_extracted, "
            "file_hash = excluded.file_hash",
            [processor, key, user, dt.datetime.now(), items, digest])
        stats.add("state_upsert", time.perf_counter() - t)
        stats.processed += 1
        stats.items_extracted += items

    # -- the two processors --------------------------------------------------------------------
    def _usage(self, user: str, key: str, records: list[dict[str, Any]]) -> int:
        errors: dict[str, bool] = {}
        events: list[tuple[Any, ...]] = []
        tokens = [0, 0, 0, 0]
        models: dict[str, int] = {}
        times: list[str] = []
        user_msgs = assistant_msgs = 0
        for rec in records:
            kind = rec.get("type")
            msg = rec.get("message") if isinstance(rec.get("message"), dict) else {}
            ts = rec.get("timestamp")
            if isinstance(ts, str):
                times.append(ts)
            content = msg.get("content")
            if kind == "assistant":
                assistant_msgs += 1
                usage = msg.get("usage") or {}
                tokens[0] += int(usage.get("input_tokens") or 0)
                tokens[1] += int(usage.get("output_tokens") or 0)
                tokens[2] += int(usage.get("cache_creation_input_tokens") or 0)
                tokens[3] += int(usage.get("cache_read_input_tokens") or 0)
                if msg.get("model"):
                    models[msg["model"]] = models.get(msg["model"], 0) + 1
                for block in content if isinstance(content, list) else ():
                    if isinstance(block, dict) and block.get("type") == "tool_use":
                        name = block.get("name") or "unknown"
                        inp = block.get("input") or {}
                        etype, item = "tool_use", None
                        if name == "Skill":
                            etype, item = "skill", inp.get("skill")
                        elif name in ("Task", "Agent"):
                            etype, item = "subagent", inp.get("subagent_type")
                        elif name.startswith("mcp__"):
                            etype = "mcp_call"
                        events.append((f"{key}:{block.get('id')}", key, user, ts, etype, name,
                                       item, block.get("id")))
            elif kind == "user":
                user_msgs += 1
                if isinstance(content, str):
                    for m in _COMMAND.finditer(content):
                        events.append((f"{key}:{rec.get('uuid')}:{m.group(1)}", key, user, ts,
                                       "slash_command", "/" + m.group(1), m.group(1), None))
                elif isinstance(content, list):
                    for block in content:
                        if isinstance(block, dict) and block.get("type") == "tool_result":
                            errors[block.get("tool_use_id")] = block.get("is_error") is True
        # row-at-a-time insert-or-ignore (a later tool error never reached an existing event)
        for eid, f, u, ts, etype, name, item, tool_id in events:
            self.con.execute(
                "INSERT INTO usage_events VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [eid, f, u, ts, etype, name, item, errors.get(tool_id, False)])
        times.sort()
        active = 0.0
        parsed = [dt.datetime.fromisoformat(x.replace("Z", "+00:00")) for x in times]
        for a, b in itertools.pairwise(parsed):
            gap = (b - a).total_seconds()
            if gap < 600:
                active += gap
        wall = (parsed[-1] - parsed[0]).total_seconds() if parsed else 0.0
        primary = max(models, key=models.__getitem__) if models else None
        self.con.execute(
            "INSERT INTO usage_sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (session_file) DO UPDATE SET ended_at = excluded.ended_at, "
            "wall_seconds = excluded.wall_seconds, active_seconds = excluded.active_seconds, "
            "user_messages = excluded.user_messages, assistant_messages = excluded.assistant_messages, "
            "tool_calls = excluded.tool_calls, primary_model = excluded.primary_model, "
            "input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, "
            "cache_creation_tokens = excluded.cache_creation_tokens, "
            "cache_read_tokens = excluded.cache_read_tokens",
            [key, user, times[0] if times else None, times[-1] if times else None, wall, active,
             user_msgs, assistant_msgs, len(events), primary, *tokens])
        return len(events) + 1

    @staticmethod
    def _verification(records: list[dict[str, Any]]) -> int:
        # The original read role/content from the top level (a bug: they are under `message`)
        # of the last 100 lines and sent them to an LLM. The LLM call is left out here.
        turns = [(r.get("role"), r.get("content")) for r in records[-100:]]
        _ = [t for t in turns if t[0] in ("user", "assistant")]
        return 0

    # -- helpers for the benchmark ---------------------------------------------------------------
    def seed_state(self, processors: tuple[str, ...] = PROCESSORS) -> int:
        """Mark every file processed now (the state after a complete run), in one bulk insert,
        so a scan over an unchanged tree can be timed without a row-at-a-time backfill first."""
        now = dt.datetime.now()
        rows = [(p, key, user, now, 0, "seeded") for p in processors
                for user, key, _ in walk(self.root)]
        self.con.execute("DELETE FROM session_processor_state")
        self.con.executemany("INSERT INTO session_processor_state VALUES (?, ?, ?, ?, ?, ?)", rows) \
            if len(rows) < 2000 else self._bulk(rows)
        return len(rows)

    def _bulk(self, rows: list[tuple[Any, ...]]) -> None:
        import pyarrow as pa

        cols = list(zip(*rows, strict=True))
        table = pa.table({"processor_name": cols[0], "session_file": cols[1], "username": cols[2],
                          "processed_at": cols[3], "items_extracted": cols[4],
                          "file_hash": cols[5]})
        self.con.register("_seed", table)
        self.con.execute("INSERT INTO session_processor_state SELECT * FROM _seed")
        self.con.unregister("_seed")


def run_all(root: Path, db: Path, processors: tuple[str, ...] = PROCESSORS,
            on_run: Callable[[RunStats], None] | None = None) -> list[RunStats]:
    """One scheduler round: each processor's run, one after the other."""
    o = Original(root, db)
    try:
        out = []
        for p in processors:
            s = o.run(p)
            if on_run:
                on_run(s)
            out.append(s)
        return out
    finally:
        o.close()


if __name__ == "__main__":
    import sys

    for s in run_all(Path(sys.argv[1]), Path(sys.argv[2])):
        print(json.dumps({"processor": s.processor, "scanned": s.scanned, "processed": s.processed,
                          "skipped": s.skipped, "errors": s.errors, "items": s.items_extracted,
                          "seconds": round(s.seconds, 3),
                          "phases": {k: round(v, 3) for k, v in s.phases.items()}}))
