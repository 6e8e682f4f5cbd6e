"""Integration: the real service (real inotify, real DuckDB file) on a temp root, in-process."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from structlog.testing import capture_logs

from sessiond.daemon import events
from sessiond.daemon.service import Service
from sessiond.processors.contract import Record, Rows, SessionFile
from sessiond.processors.lines import LinesProcessor
from tests.fakes import FailingProcessor, FlakyProcessor, HangingProcessor, RecordingProcessor
from tests.harness import append, fast_settings, jsonl, query, running, wait_until


def recs(name: str, start: int, count: int) -> bytes:
    return jsonl(*({"type": "user", "uuid": f"{name}-{i}", "n": i} for i in range(start, start + count)))


def committed(service: Service, key: str) -> list[dict[str, Any]]:
    rows = query(service, "SELECT content FROM recorded WHERE session_file = ? ORDER BY line_no", [key])
    return [orjson.loads(r[0]) for r in rows]


def numbers(service: Service, key: str) -> list[int]:
    return [r["n"] for r in committed(service, key)]


def expect(service: Service, key: str, ns: list[int]) -> None:
    wait_until(lambda: numbers(service, key) == ns, what=f"{key} to hold {ns[:3]}..({len(ns)})")


def test_new_file_append_and_partial_line(root: Path, state: Path) -> None:
    f = root / "alice" / "s1.jsonl"
    with running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        append(f, recs("s1", 0, 3))
        expect(svc, "alice/s1.jsonl", [0, 1, 2])
        append(f, recs("s1", 3, 2) + b'{"type":"user","n":5,"uuid":"s1-5"')
        expect(svc, "alice/s1.jsonl", [0, 1, 2, 3, 4])
        append(f, b"}\n")
        expect(svc, "alice/s1.jsonl", [0, 1, 2, 3, 4, 5])
        rows = query(svc, "SELECT byte_offset FROM recorded ORDER BY line_no")
        data = f.read_bytes()
        assert [r[0] for r in rows] == [0] + [i + 1 for i, b in enumerate(data[:-1]) if b == 10]
        cur = query(svc, "SELECT offset_bytes, lines, items_extracted, username FROM session_processor_state")
        assert cur == [(len(data), 6, 6, "alice")]


def test_replace_by_longer_copy_is_an_append(root: Path, state: Path) -> None:
    f = root / "bob" / "s.jsonl"
    append(f, recs("s", 0, 3))
    # the logs captured until the daemon stopped: a batch's file events are said after its
    # commit, so after the rows are seen; the stop confirms every batch
    with capture_logs() as logs, running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        expect(svc, "bob/s.jsonl", [0, 1, 2])
        tmp = root / "bob" / ".s.jsonl.upload"
        tmp.write_bytes(f.read_bytes() + recs("s", 3, 2))
        os.replace(tmp, f)  # temp file + rename, the upload tools' way
        expect(svc, "bob/s.jsonl", [0, 1, 2, 3, 4])
        # and an in-place copy of a longer version over it
        longer = root.parent / "longer.jsonl"
        longer.write_bytes(f.read_bytes() + recs("s", 5, 1))
        shutil.copyfile(longer, f)
        expect(svc, "bob/s.jsonl", [0, 1, 2, 3, 4, 5])
    assert any(e["event"] == events.PROCESSOR_COMMITTED for e in logs)  # the capture saw the daemon
    assert not [e for e in logs if e["event"] == events.FILE_REWRITTEN]


def test_truncate_and_rewrite_replaces_outputs(root: Path, state: Path) -> None:
    f = root / "carol" / "s.jsonl"
    append(f, recs("old", 0, 5))
    with running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        expect(svc, "carol/s.jsonl", [0, 1, 2, 3, 4])
        with capture_logs() as logs:
            f.write_bytes(recs("new", 100, 2))  # shorter, different content
            expect(svc, "carol/s.jsonl", [100, 101])
            # truncate and regrow past the old offset with different bytes
            f.write_bytes(recs("newer", 200, 9))
            expect(svc, "carol/s.jsonl", list(range(200, 209)))
            # a batch's file events are said after its commit: after its rows can be seen
            wait_until(lambda: len([e for e in logs if e["event"] == events.FILE_REWRITTEN]) >= 2,
                       what="both rewrites logged")
        # as read when the writes were done: truncated, then changed; a read between a write's
        # truncation and its bytes (a loaded machine) sees it truncated to 0 and the rest appended
        reasons = [e["reason"] for e in logs if e["event"] == events.FILE_REWRITTEN]
        assert reasons[0] == "truncated" and len(reasons) >= 2, reasons
        assert set(reasons) <= {"truncated", "changed"}, reasons


def test_delete_removes_outputs_and_new_user_folder_is_found(root: Path, state: Path) -> None:
    with running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        append(root / "dave" / "a.jsonl", recs("a", 0, 2))
        expect(svc, "dave/a.jsonl", [0, 1])
        (root / "dave" / "a.jsonl").unlink()
        wait_until(lambda: not query(svc, "SELECT 1 FROM recorded WHERE session_file = 'dave/a.jsonl'")
                   and not query(svc, "SELECT 1 FROM session_processor_state"), what="delete")
        staged = root.parent / "erin"
        append(staged / "x.jsonl", recs("x", 0, 2))
        append(staged / "x" / "subagents" / "agent-1.jsonl", recs("y", 0, 3))
        staged.rename(root / "erin")  # a user folder appears with files already inside
        expect(svc, "erin/x.jsonl", [0, 1])
        expect(svc, "erin/x/subagents/agent-1.jsonl", [0, 1, 2])


@pytest.mark.parametrize("unclean", ["failed", "version"])
def test_a_file_deleted_while_stopped_goes_even_if_its_cursors_were_not_clean(
        root: Path, state: Path, unclean: str) -> None:
    """The start index holds only files every processor has read cleanly up to one stat; a
    file deleted while the daemon was stopped must go from the state all the same -- with a
    failed cursor of another processor beside it, or a cursor of an older version."""
    f = root / "gina" / "a.jsonl"
    append(f, recs("a", 0, 2))
    settings = fast_settings(root, state, max_attempts=1)
    first = [RecordingProcessor(), FailingProcessor()] if unclean == "failed" else [RecordingProcessor()]
    with running(settings, first) as svc:
        expect(svc, "gina/a.jsonl", [0, 1])
        if unclean == "failed":
            wait_until(lambda: query(svc, "SELECT 1 FROM session_processor_state "
                                          "WHERE processor_name = 'failing' AND parked"),
                       what="the failing processor's cursor parked")
    f.unlink()
    second = first if unclean == "failed" else [RecordingProcessor(version=2)]
    with running(settings, second) as svc:
        wait_until(lambda: not query(svc, "SELECT 1 FROM recorded")
                   and not query(svc, "SELECT 1 FROM session_processor_state"),
                   what="the deleted file's rows and cursors to go")


def test_a_parked_file_deleted_while_running_goes(root: Path, state: Path) -> None:
    """Parked is "do not read it again until asked", not "keep it after it is gone"."""
    f = root / "hank" / "a.jsonl"
    append(f, recs("a", 0, 2))
    with running(fast_settings(root, state, max_attempts=1), [FailingProcessor()]) as svc:
        wait_until(lambda: query(svc, "SELECT parked FROM session_processor_state") == [(True,)],
                   what="the file parked")
        f.unlink()
        wait_until(lambda: not query(svc, "SELECT 1 FROM session_processor_state"),
                   what="the parked file's cursor to go")


def test_a_deletion_whose_event_was_lost_is_found_by_the_next_scan(root: Path, state: Path) -> None:
    """A file the daemon learned of from events only -- created and read between two scans --
    then deleted while events are lost (an inotify overflow; here they are dropped): the scan
    must know it had the file, or its cursor and outputs would stay for good."""
    with running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        scans = svc.scans_total
        append(root / "ivy" / "a.jsonl", recs("a", 0, 2))
        expect(svc, "ivy/a.jsonl", [0, 1])
        wait_until(lambda: svc.scans_total > scans, what="the new folder's scan")
        append(root / "ivy" / "b.jsonl", recs("b", 0, 2))  # a file only events told of
        expect(svc, "ivy/b.jsonl", [0, 1])
        # the commit is visible a moment before its worker tells the scanner (`Worker._committed`):
        # a scan started in between would not know the file yet -- the one after it would
        wait_until(lambda: svc.scanner.knows("ivy/b.jsonl"), what="the scanner to be told of b")
        svc.settings = replace(svc.settings, drop_events=True)  # events are lost from now on
        (root / "ivy" / "b.jsonl").unlink()
        svc.request_scan()
        wait_until(lambda: not query(svc, "SELECT 1 FROM recorded WHERE session_file = 'ivy/b.jsonl'")
                   and not query(svc, "SELECT 1 FROM session_processor_state "
                                      "WHERE session_file = 'ivy/b.jsonl'"),
                   what="the scan to find the file gone")


def test_without_events_the_scan_finds_changes(root: Path, state: Path) -> None:
    with running(fast_settings(root, state, watch=False), [RecordingProcessor()]) as svc:
        append(root / "u" / "a.jsonl", recs("a", 0, 2))
        svc.request_scan()
        expect(svc, "u/a.jsonl", [0, 1])
        assert svc.watcher is None


def test_dropped_events_are_counted_as_missed(root: Path, state: Path) -> None:
    with running(fast_settings(root, state, drop_events=True), [RecordingProcessor()]) as svc:
        wait_until(lambda: svc._watch_complete, what="a scan with the watcher running")
        with capture_logs() as logs:
            append(root / "u" / "a.jsonl", recs("a", 0, 2))
            svc.request_scan()
            expect(svc, "u/a.jsonl", [0, 1])
            missed = wait_until(lambda: [e for e in logs if e["event"] == events.SCAN_MISSED_EVENTS])
        assert missed[0]["count"] == 1 and missed[0]["files"] == ["u/a.jsonl"]


def test_a_failing_processor_parks_and_the_other_catches_up(root: Path, state: Path) -> None:
    for i in range(3):
        append(root / "u" / f"{i}.jsonl", recs(str(i), 0, 2))
    settings = fast_settings(root, state, max_attempts=3)
    with capture_logs() as logs, running(settings, [RecordingProcessor(), FailingProcessor()]) as svc:
        for i in range(3):
            expect(svc, f"u/{i}.jsonl", [0, 1])
        wait_until(lambda: len(query(svc, "SELECT 1 FROM session_processor_state "
                                          "WHERE processor_name = 'failing' AND parked")) == 3,
                   what="3 parked files")
        rows = query(svc, "SELECT attempts, offset_bytes, last_error, next_retry_at IS NULL "
                          "FROM session_processor_state WHERE processor_name = 'failing'")
        assert all(r[0] == 3 and r[1] == 0 and "boom" in r[2] and r[3] for r in rows)
        assert svc.workers["recording"].stats.errors == 0
        status = svc.status()["processors"]
        assert (status["recording"]["bytes_behind"], status["recording"]["lag_seconds"]) == (0, 0.0)
        assert status["recording"]["files_pending"] == 0
        assert (status["failing"]["files_parked"], status["failing"]["files_failed"]) == (3, 0)
    failed = Counter(e["file"] for e in logs if e["event"] == events.PROCESSOR_FAILED)
    parked = Counter(e["file"] for e in logs if e["event"] == events.PROCESSOR_PARKED)
    assert failed == {f"u/{i}.jsonl": 3 for i in range(3)}
    assert parked == {f"u/{i}.jsonl": 1 for i in range(3)}  # logged once


def test_a_flaky_processor_backs_off_then_succeeds(root: Path, state: Path) -> None:
    append(root / "u" / "a.jsonl", recs("a", 0, 2))
    with running(fast_settings(root, state), [FlakyProcessor(failures=2)]) as svc:
        wait_until(lambda: query(svc, "SELECT count(*) FROM flaky_recorded") == [(2,)])
        assert query(svc, "SELECT attempts, last_error, parked FROM session_processor_state") == [(0, None, False)]


def test_a_hanging_processor_does_not_delay_another(root: Path, state: Path) -> None:
    HangingProcessor.release.clear()
    HangingProcessor.entered.clear()
    try:
        with running(fast_settings(root, state), [HangingProcessor(), RecordingProcessor()]) as svc:
            append(root / "u" / "a.jsonl", recs("a", 0, 1))
            wait_until(HangingProcessor.entered.is_set, what="hanging processor entered")
            for i in range(1, 4):
                append(root / "u" / "a.jsonl", recs("a", i, 1))
                expect(svc, "u/a.jsonl", list(range(i + 1)))
            HangingProcessor.release.set()
    finally:
        HangingProcessor.release.set()


def test_restart_skips_unchanged_files_and_a_version_bump_redoes_all(root: Path, state: Path) -> None:
    for i in range(3):
        append(root / "u" / f"{i}.jsonl", recs(str(i), 0, 2))
    assert Service(fast_settings(root, state), [RecordingProcessor()]).run_once() == 0
    with capture_logs() as logs:
        assert Service(fast_settings(root, state), [RecordingProcessor()]).run_once() == 0
    assert not [e for e in logs if e["event"] in (events.FILE_APPENDED, events.FILE_REWRITTEN)]
    with capture_logs() as logs:
        assert Service(fast_settings(root, state), [RecordingProcessor(version=2)]).run_once() == 0
    assert sorted(e["file"] for e in logs if e["event"] == events.FILE_REWRITTEN) == [
        f"u/{i}.jsonl" for i in range(3)]
    assert query(state, "SELECT count(*), count(DISTINCT (session_file, line_no)) FROM recorded") == [(6, 6)]
    assert query(state, "SELECT DISTINCT processor_version FROM session_processor_state") == [(2,)]


def test_two_processors_keep_separate_cursors(root: Path, state: Path) -> None:
    append(root / "u" / "a.jsonl", recs("a", 0, 4))
    assert Service(fast_settings(root, state), [RecordingProcessor(), LinesProcessor()]).run_once() == 0
    assert query(state, "SELECT processor_name, lines FROM session_processor_state ORDER BY 1") == [
        ("lines", 4), ("recording", 4)]
    assert query(state, "SELECT count(*) FROM lines") == [(4,)]


class _BadRowsProcessor(RecordingProcessor):
    """Returns a row that does not fit its table for files named bad*."""

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        rows = super().process(file, records)
        if "/bad" in file.key:
            return {"recorded": [{**rows["recorded"][0], "line_no": "not a number"}]}
        return rows


def test_rows_that_do_not_fit_fail_their_file_not_the_batch(root: Path, state: Path) -> None:
    append(root / "u" / "bad.jsonl", recs("b", 0, 1))
    append(root / "u" / "good.jsonl", recs("g", 0, 2))
    assert Service(fast_settings(root, state, max_attempts=1), [_BadRowsProcessor()]).run_once() == 1
    assert query(state, "SELECT session_file, count(*) FROM recorded GROUP BY 1") == [("u/good.jsonl", 2)]
    assert query(state, "SELECT session_file, parked FROM session_processor_state ORDER BY 1") == [
        ("u/bad.jsonl", True), ("u/good.jsonl", False)]
