"""Migration from the original pipeline's state database, and its environment variables."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
from structlog.testing import capture_logs

from sessiond.daemon import events
from sessiond.daemon.service import Service
from sessiond.daemon.settings import load_settings
from tests.fakes import RecordingProcessor
from tests.harness import append, fast_settings, jsonl, query


class Verification(RecordingProcessor):
    """Stands in for the verification processor: the legacy rows are imported under its name."""

    name = "verification"
    tables = ("recorded_v",)
    migrations = (RecordingProcessor.migrations[0].replace("recorded", "recorded_v"),)

    def process(self, file, records):  # type: ignore[no-untyped-def]
        return {"recorded_v": super().process(file, records)["recorded"]}


def legacy_db(path: Path, rows: list[tuple[str, str, str]], *, v29: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER)")  # the pipeline's own
    con.execute("INSERT INTO schema_version VALUES (29)" if v29 else "INSERT INTO schema_version VALUES (28)")
    con.execute("CREATE TABLE knowledge_items (id VARCHAR, title VARCHAR)")  # other tables stay
    table = "session_processor_state" if v29 else "session_extraction_state"
    extra = "processor_name VARCHAR, " if v29 else ""
    con.execute(f"CREATE TABLE {table} ({extra}session_file VARCHAR PRIMARY KEY, username VARCHAR, "
                "processed_at TIMESTAMP, items_extracted INTEGER, file_hash VARCHAR)")
    for key, user, md5 in rows:
        values = (["verification"] if v29 else []) + [key, user, 3, md5]
        marks = ", ".join("?" for _ in values[:-2])
        con.execute(f"INSERT INTO {table} VALUES ({marks}, now(), ?, ?)", values)
    con.close()


def test_v28_rows_are_checked_once_and_only_changed_files_redone(root: Path, state: Path) -> None:
    same = jsonl({"n": 0}, {"n": 1})
    append(root / "u" / "same.jsonl", same)
    changed = jsonl({"n": 0}, {"n": 1}, {"n": 2})
    append(root / "u" / "changed.jsonl", changed)
    legacy_db(state, [("u/same.jsonl", "u", hashlib.md5(same).hexdigest()),
                      ("u/changed.jsonl", "u", hashlib.md5(b"older content\n").hexdigest())])
    with capture_logs() as logs:
        assert Service(fast_settings(root, state), [Verification()]).run_once() == 0
    assert [e["rows"] for e in logs if e["event"] == events.LEGACY_IMPORTED] == [2]
    rewritten = [e["file"] for e in logs if e["event"] == events.FILE_REWRITTEN]
    assert rewritten == ["u/changed.jsonl"]
    assert query(state, "SELECT session_file, count(*) FROM recorded_v GROUP BY 1") == [("u/changed.jsonl", 3)]
    cursors = query(state, "SELECT session_file, offset_bytes, lines, items_extracted, processor_version "
                           "FROM session_processor_state ORDER BY 1")
    # same.jsonl keeps the pipeline's items_extracted (3); changed.jsonl counts its new rows
    assert cursors == [("u/changed.jsonl", len(changed), 3, 3, 1), ("u/same.jsonl", len(same), 2, 3, 1)]
    tables = {r[0] for r in query(state, "SELECT table_name FROM information_schema.tables")}
    assert "session_extraction_state" not in tables
    assert {"knowledge_items", "schema_version_legacy", "schema_version"} <= tables
    # tracked normally from now on: an append reads only the new line, a second start is a no-op
    append(root / "u" / "same.jsonl", jsonl({"n": 2}))
    with capture_logs() as logs:
        assert Service(fast_settings(root, state), [Verification()]).run_once() == 0
    assert not [e for e in logs if e["event"] == events.LEGACY_IMPORTED]
    assert query(state, "SELECT count(*) FROM recorded_v WHERE session_file = 'u/same.jsonl'") == [(1,)]


def test_v29_table_is_imported_too(root: Path, state: Path) -> None:
    data = jsonl({"n": 0})
    append(root / "u" / "a.jsonl", data)
    legacy_db(state, [("u/a.jsonl", "u", hashlib.md5(data).hexdigest())], v29=True)
    assert Service(fast_settings(root, state), [Verification()]).run_once() == 0
    assert query(state, "SELECT processor_name, offset_bytes FROM session_processor_state") == [
        ("verification", len(data))]
    tables = {r[0] for r in query(state, "SELECT table_name FROM information_schema.tables")}
    assert "session_processor_state_v29" not in tables


def test_fresh_install_imports_nothing(root: Path, state: Path) -> None:
    with capture_logs() as logs:
        Service(fast_settings(root, state), [Verification()]).run_once()
    assert not [e for e in logs if e["event"] == events.LEGACY_IMPORTED]


def test_scheduler_variables_set_intervals_when_config_does_not(tmp_path: Path) -> None:
    env = {"SCHEDULER_USAGE_PROCESSOR_INTERVAL": "600",
           "SCHEDULER_VERIFICATION_DETECTOR_INTERVAL": "900"}
    s = load_settings({}, env)
    assert s.interval_for("usage", 0) == 600 and s.interval_for("verification", 0) == 900
    config = tmp_path / "c.toml"
    config.write_text("[processor.usage]\ninterval = 60\n")
    s = load_settings({"config": str(config)}, env)
    assert s.interval_for("usage", 0) == 60 and s.interval_for("verification", 0) == 900
