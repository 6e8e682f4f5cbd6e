"""A catalogue of bad inputs: each gets a clear log event and a counter, and nothing else is lost.

Every test also checks that the good lines and the other files around the bad input were
committed, exactly once. Two items of the catalogue are proved elsewhere:

* a second daemon on the same state file refuses with one line and exit 2:
  `tests/test_daemon.py::test_a_second_daemon_on_the_same_state_refuses`;
* a corrupt or foreign state file is refused and never overwritten:
  `tests/test_state.py::test_a_foreign_duckdb_database_is_not_touched` and
  `tests/test_state.py::test_a_non_duckdb_file_is_refused_and_kept`.
"""

from __future__ import annotations

import ctypes
import logging
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest
from structlog.testing import capture_logs

from sessiond.daemon import events, watcher
from sessiond.daemon.discovery import VANISHED
from sessiond.daemon.scanner import ScanResult
from sessiond.daemon.service import Service
from sessiond.processors.contract import Record, Rows, SessionFile
from tests.fakes import RecordingProcessor
from tests.harness import (
    CursorLog,
    Daemon,
    append,
    complete_part,
    events_of,
    fast_settings,
    jsonl,
    prefix_hash,
    query,
    run_once,
    run_once_measured,
    running,
    wait_until,
)

PROC = "tests.fakes:RecordingProcessor"
MB = 1 << 20


@pytest.fixture(autouse=True)
def _no_big_leftovers(tmp_path: Path) -> Iterator[None]:
    """pytest keeps the last runs' tmp_path: not the hundreds of MB some tests write."""
    yield
    for dirpath, _dirs, files in os.walk(tmp_path):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.stat(path, follow_symlinks=False).st_size > 8 * MB:
                os.unlink(path)


def good(name: str, count: int, start: int = 0) -> bytes:
    return jsonl(*({"type": "user", "uuid": f"{name}-{i}", "n": i} for i in range(start, start + count)))


def contents(state: Path, key: str) -> list[int]:
    """The ``n`` of every committed record of a file, in line order."""
    rows = query(state, "SELECT content FROM recorded WHERE session_file = ? ORDER BY line_no", [key])
    return [orjson.loads(r[0])["n"] for r in rows]


def cursor(state: Path, key: str) -> dict[str, Any]:
    rows = query(state, "SELECT offset_bytes, lines, bad_lines, items_extracted, attempts, last_error "
                        "FROM session_processor_state WHERE session_file = ?", [key])
    assert len(rows) == 1, f"{key}: {rows}"
    return dict(zip(("offset", "lines", "bad_lines", "items", "attempts", "last_error"), rows[0],
                    strict=True))


def once(root: Path, state: Path, *extra: str, processor: str = PROC
         ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``run --once`` (exit 0 expected): its events and the recording processor's summary."""
    result = run_once("--root", str(root), "--state", str(state), "--processors", processor,
                      "--log-level", "debug", *extra)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    found = events_of(result.stdout)
    summary = next(e for e in found if e["event"] == events.RUN_SUMMARY)
    return found, summary["processors"]["recording"]


def named(found: Sequence[Mapping[str, Any]], name: str) -> list[Mapping[str, Any]]:
    return [e for e in found if e["event"] == name]


def with_neighbour(root: Path) -> None:
    """Another user's file that must come through untouched."""
    append(root / "zoe" / "fine.jsonl", good("fine", 3))


def neighbour_ok(state: Path) -> None:
    assert contents(state, "zoe/fine.jsonl") == [0, 1, 2]


# -- lines ----------------------------------------------------------------------------------------


def test_malformed_json_line_is_counted_and_skipped(root: Path, state: Path) -> None:
    append(root / "u" / "a.jsonl", good("a", 2) + b'{"type": "user", "n": \n' + good("a", 2, 2))
    with_neighbour(root)
    found, summary = once(root, state)
    [bad] = named(found, events.LINE_MALFORMED)
    assert (bad["file"], bad["line"], bad["kind"], bad["offset"]) == (
        "u/a.jsonl", 3, "malformed_json", len(good("a", 2)))
    assert summary["bad_lines"] == 1 and summary["errors"] == 0
    assert cursor(state, "u/a.jsonl")["bad_lines"] == 1
    assert contents(state, "u/a.jsonl") == [0, 1, 2, 3]
    neighbour_ok(state)


def test_json_that_is_not_an_object_is_counted_and_skipped(root: Path, state: Path) -> None:
    append(root / "u" / "a.jsonl", good("a", 1) + b'[1, 2]\n"text"\n42\nnull\n' + good("a", 1, 1))
    with_neighbour(root)
    found, summary = once(root, state)
    bad = named(found, events.LINE_MALFORMED)
    assert [(b["line"], b["kind"]) for b in bad] == [(2, "not_object"), (3, "not_object"),
                                                     (4, "not_object"), (5, "not_object")]
    assert [b["detail"] for b in bad] == ["JSON list", "JSON str", "JSON int", "JSON NoneType"]
    assert summary["bad_lines"] == 4
    assert cursor(state, "u/a.jsonl")["bad_lines"] == 4
    assert contents(state, "u/a.jsonl") == [0, 1]
    neighbour_ok(state)


def test_a_line_the_processor_cannot_map_is_counted_and_skipped(root: Path, state: Path) -> None:
    """A processor whose code meets a record it cannot handle skips that record alone
    (`PartlyMapped`): the rest of the append commits, with no failure and no retry."""
    unmappable = jsonl({"type": "user", "n": 99, "unmappable": "🎉!!"})
    append(root / "u" / "a.jsonl", good("a", 2) + unmappable + good("a", 2, 2))
    with_neighbour(root)
    found, summary = once(root, state, processor="tests.fakes:PickyProcessor")
    [bad] = named(found, events.LINE_UNREADABLE)
    assert (bad["file"], bad["line"], bad["kind"], bad["offset"]) == (
        "u/a.jsonl", 3, "unreadable", len(good("a", 2)))
    assert bad["detail"].startswith("ValueError: cannot map '🎉!!' (at fakes.py:"), bad["detail"]
    assert not named(found, events.PROCESSOR_FAILED)
    assert summary["bad_lines"] == 1 and summary["errors"] == 0
    got = cursor(state, "u/a.jsonl")
    assert (got["bad_lines"], got["attempts"], got["last_error"]) == (1, 0, None)
    assert contents(state, "u/a.jsonl") == [0, 1, 2, 3]
    neighbour_ok(state)


def test_a_usage_ccusage_would_not_count_is_reported_and_the_rest_counted(root: Path, state: Path) -> None:
    """The real usage processor: a record whose token count is text is not counted (as ccusage
    does not count it) but said -- ``line.invalid`` with the field -- and counted as a bad line;
    its neighbours in the file, and the other user's file, are counted."""
    def call(n: int, tokens: object, user: str = "u") -> bytes:
        return jsonl({"type": "assistant", "uuid": f"{user}{n}", "requestId": f"r{n}",
                      "timestamp": "2026-02-09T10:00:00.000Z", "message": {
                          "id": f"{user}m{n}", "model": "claude-sonnet-4-5", "role": "assistant",
                          "content": [], "usage": {"input_tokens": tokens, "output_tokens": 10}}})
    append(root / "u" / "a.jsonl", call(1, 100) + call(2, "100") + call(3, 300))
    append(root / "zoe" / "b.jsonl", call(1, 50, "zoe"))
    result = run_once("--root", str(root), "--state", str(state), "--processors", "usage")
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    found = events_of(result.stdout)
    [bad] = named(found, events.LINE_INVALID)
    assert (bad["processor"], bad["file"], bad["line"], bad["kind"], bad["offset"]) == (
        "usage", "u/a.jsonl", 2, "invalid", len(call(1, 100)))
    assert "message.usage.input_tokens is a string ('100'), not an integer" in bad["detail"]
    summary = next(e for e in found if e["event"] == events.RUN_SUMMARY)["processors"]["usage"]
    assert summary["bad_lines"] == 1 and summary["errors"] == 0
    assert cursor(state, "u/a.jsonl")["bad_lines"] == 1
    assert query(state, "SELECT username, sum(input_tokens), count(*) FROM usage_calls "
                        "GROUP BY username ORDER BY username") == [("u", 400, 2), ("zoe", 50, 1)]


def test_a_complete_line_of_invalid_utf8_is_counted_and_skipped(root: Path, state: Path) -> None:
    append(root / "u" / "a.jsonl", good("a", 1) + b'{"type": "user", "text": "caf\xe9"}\n'
           + b"\xff\xfe\xfd\n" + good("a", 1, 1))
    with_neighbour(root)
    found, summary = once(root, state)
    bad = named(found, events.LINE_MALFORMED)
    assert [(b["line"], b["kind"]) for b in bad] == [(2, "malformed_json"), (3, "malformed_json")]
    assert all("UTF-8" in b["detail"] for b in bad)
    assert summary["bad_lines"] == 2 and cursor(state, "u/a.jsonl")["bad_lines"] == 2
    assert contents(state, "u/a.jsonl") == [0, 1]
    neighbour_ok(state)


def test_a_bom_is_tolerated(root: Path, state: Path) -> None:
    data = b"\xef\xbb\xbf" + good("a", 3)
    append(root / "u" / "a.jsonl", data)
    with_neighbour(root)
    found, summary = once(root, state)
    assert not named(found, events.LINE_MALFORMED) and summary["bad_lines"] == 0
    assert contents(state, "u/a.jsonl") == [0, 1, 2]
    assert cursor(state, "u/a.jsonl") | {"last_error": None} == {
        "offset": len(data), "lines": 3, "bad_lines": 0, "items": 3, "attempts": 0, "last_error": None}
    neighbour_ok(state)


def test_crlf_line_endings_are_tolerated(root: Path, state: Path) -> None:
    data = good("a", 3).replace(b"\n", b"\r\n")
    append(root / "u" / "a.jsonl", data)
    with_neighbour(root)
    found, summary = once(root, state)
    assert not named(found, events.LINE_MALFORMED) and summary["bad_lines"] == 0
    assert contents(state, "u/a.jsonl") == [0, 1, 2]
    offsets = query(state, "SELECT byte_offset FROM recorded WHERE session_file = 'u/a.jsonl' "
                           "ORDER BY line_no")
    assert [o[0] for o in offsets] == [0] + [i + 1 for i, b in enumerate(data[:-1]) if b == 10]
    assert cursor(state, "u/a.jsonl")["offset"] == len(data)
    neighbour_ok(state)


def test_an_empty_file_is_tracked_at_zero(root: Path, state: Path) -> None:
    (root / "u").mkdir()
    (root / "u" / "empty.jsonl").touch()
    with_neighbour(root)
    found, summary = once(root, state)
    [seen] = [e for e in named(found, events.FILE_APPENDED) if e["file"] == "u/empty.jsonl"]
    assert (seen["bytes"], seen["lines"]) == (0, 0)
    assert summary["errors"] == 0 and summary["bad_lines"] == 0
    assert cursor(state, "u/empty.jsonl") | {"last_error": None} == {
        "offset": 0, "lines": 0, "bad_lines": 0, "items": 0, "attempts": 0, "last_error": None}
    neighbour_ok(state)


def test_a_file_of_only_newlines(root: Path, state: Path) -> None:
    append(root / "u" / "blank.jsonl", b"\n" * 1000 + b"\r\n" * 10)
    with_neighbour(root)
    found, summary = once(root, state)
    assert not named(found, events.LINE_MALFORMED) and summary["bad_lines"] == 0
    [seen] = [e for e in named(found, events.FILE_APPENDED) if e["file"] == "u/blank.jsonl"]
    assert (seen["lines"], seen["items"]) == (1010, 0)
    assert cursor(state, "u/blank.jsonl")["offset"] == 1020
    neighbour_ok(state)


# -- size and memory ------------------------------------------------------------------------------


def _baseline_rss(root: Path, tmp_path: Path) -> int:
    """Peak RSS of ``run --once`` on a tiny tree: what the interpreter and libraries cost."""
    small = tmp_path / "small"
    append(small / "u" / "a.jsonl", good("a", 3))
    result = run_once_measured("--root", str(small), "--state", str(tmp_path / "small.duckdb"),
                               "--processors", PROC)
    assert result.returncode == 0, result.stderr
    return result.max_rss


def _write_repeated(path: Path, block: bytes, total: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        for _ in range(total // len(block)):
            fh.write(block)


def test_a_100mb_line_is_skipped_and_never_buffered(root: Path, state: Path, tmp_path: Path) -> None:
    baseline = _baseline_rss(root, tmp_path)
    path = root / "u" / "huge.jsonl"
    append(path, good("h", 2))
    head, tail = b'{"type": "user", "text": "', b'"}\n'
    with path.open("ab") as fh:
        fh.write(head)
        chunk = b"x" * MB
        for _ in range(100):
            fh.write(chunk)
        fh.write(tail)
    append(path, good("h", 2, 2))
    with_neighbour(root)
    config = tmp_path / "limits.toml"
    config.write_text(f"max_line_bytes = {MB}\n")
    result = run_once_measured("--root", str(root), "--state", str(state), "--config", str(config),
                               "--processors", PROC, "--log-level", "debug")
    assert result.returncode == 0, result.stderr
    [too_long] = named(result.events, events.LINE_TOO_LONG)
    assert (too_long["file"], too_long["line"], too_long["kind"]) == ("u/huge.jsonl", 3, "line_too_long")
    assert too_long["detail"] == f"{len(head) + 100 * MB + len(tail)} bytes"
    summary = named(result.events, events.RUN_SUMMARY)[0]["processors"]["recording"]
    assert summary["bad_lines"] == 1 and cursor(state, "u/huge.jsonl")["bad_lines"] == 1
    assert contents(state, "u/huge.jsonl") == [0, 1, 2, 3]
    assert cursor(state, "u/huge.jsonl")["offset"] == path.stat().st_size
    neighbour_ok(state)
    grown = result.max_rss - baseline
    # max_line_bytes (1 MB) + a read chunk (1 MB) + slack; ~5 MB measured
    assert grown < 16 * MB, f"peak RSS grew by {grown / MB:.0f} MB for a 100 MB line"


def test_a_500mb_file_is_processed_in_bounded_memory(root: Path, state: Path, tmp_path: Path) -> None:
    baseline = _baseline_rss(root, tmp_path)
    line = orjson.dumps({"type": "user", "text": "y" * 4000}) + b"\n"
    block = line * (4 * MB // len(line))
    _write_repeated(root / "u" / "big.jsonl", block, 500 * MB)
    size = (root / "u" / "big.jsonl").stat().st_size
    with_neighbour(root)
    config = tmp_path / "budget.toml"
    config.write_text(f"pass_bytes = {8 * MB}\n")
    result = run_once_measured("--root", str(root), "--state", str(state), "--config", str(config),
                               "--processors", "lines")
    assert result.returncode == 0, result.stderr
    summary = named(result.events, events.RUN_SUMMARY)[0]["processors"]["lines"]
    assert summary["bytes"] == size + len(good("fine", 3)) and summary["errors"] == 0
    assert query(state, "SELECT count(*), count(DISTINCT line_no) FROM lines "
                        "WHERE session_file = 'u/big.jsonl'") == [(size // len(line),) * 2]
    assert query(state, "SELECT count(*) FROM lines WHERE session_file = 'zoe/fine.jsonl'") == [(3,)]
    commits = named(result.events, events.PROCESSOR_COMMITTED)
    assert len(commits) >= 500 // 8, "the file must be read in passes of pass_bytes"
    grown = result.max_rss - baseline
    # a pass holds pass_bytes of lines, their records and their rows; ~34 MB measured
    assert grown < 12 * 8 * MB, f"peak RSS grew by {grown / MB:.0f} MB for a 500 MB file"


# -- what is (not) a file -------------------------------------------------------------------------


def test_symlinks_are_never_followed(root: Path, state: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    append(outside / "secret.jsonl", good("secret", 2))
    append(outside / "s" / "subagents" / "agent.jsonl", good("secret", 2))
    append(root / "u" / "a.jsonl", good("a", 1))
    with capture_logs() as logs, running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        (root / "u" / "link.jsonl").symlink_to(outside / "secret.jsonl")
        (root / "u" / "s").symlink_to(outside / "s")  # a linked session folder
        (root / "mallory").symlink_to(outside)  # a linked user folder
        wait_until(lambda: any(e["event"] == events.FILE_NOT_REGULAR for e in logs), what="link")
        append(root / "u" / "a.jsonl", good("a", 1, 1))
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(2,)], what="a.jsonl")
        svc.scan_now()
        stats = svc.workers["recording"].stats
        assert stats.skipped >= 1 and stats.errors == 0
        assert svc.last_scan["files"] == 1  # the scan saw only the real file
        keys = {r[0] for r in query(svc, "SELECT session_file FROM session_processor_state")}
    assert keys == {"u/a.jsonl"}
    assert {e["file"] for e in logs if e["event"] == events.FILE_NOT_REGULAR} == {"u/link.jsonl"}
    assert not [e for e in logs if e["event"] == events.FILE_UNREADABLE]


def test_a_fifo_and_a_socket_never_block(root: Path, state: Path) -> None:
    append(root / "u" / "a.jsonl", good("a", 1))
    sock = socket.socket(socket.AF_UNIX)
    try:
        with capture_logs() as logs, running(fast_settings(root, state), [RecordingProcessor()]) as svc:
            os.mkfifo(root / "u" / "fifo.jsonl")  # no writer: a blocking open would hang forever
            sock.bind(str(root / "u" / "sock.jsonl"))
            wait_until(lambda: {e["file"] for e in logs if e["event"] == events.FILE_NOT_REGULAR}
                       >= {"u/fifo.jsonl", "u/sock.jsonl"}, what="fifo and socket skipped")
            append(root / "u" / "a.jsonl", good("a", 1, 1))  # the worker is not stuck
            wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(2,)])
            stats = svc.workers["recording"].stats
            assert stats.skipped >= 2 and stats.errors == 0
    finally:
        sock.close()
    assert not [e for e in logs if e["event"] in (events.FILE_UNREADABLE, events.PROCESSOR_FAILED)]


_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _PR_CAPBSET_DROP = 1, 2, 24


def _drop_dac_capabilities() -> None:
    """In the child, before exec: without these two capabilities root obeys file modes."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture
def obeying_modes(tmp_path: Path) -> dict[str, Any]:
    """Popen arguments under which the daemon is refused what file modes refuse.

    Tests run as root here, and root reads a mode-000 file. Dropping to ``nobody`` does not
    work in this checkout (the interpreter lives under /root), so the daemon stays root but
    loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its capability bounding set: the exec'd
    process then has the file-permission checks of an ordinary owner. Not root: nothing to do.
    """
    if os.geteuid() != 0:
        return {}
    probe = tmp_path / "probe"
    probe.write_text("x")
    probe.chmod(0)
    try:
        result = subprocess.run([sys.executable, "-c", f"open({str(probe)!r}).read()"],
                                preexec_fn=_drop_dac_capabilities, capture_output=True, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot drop CAP_DAC_OVERRIDE for the daemon (needs CAP_SETPCAP): {exc}")
    if b"PermissionError" not in result.stderr:
        pytest.skip("root still reads mode-000 files without CAP_DAC_OVERRIDE here")
    return {"preexec_fn": _drop_dac_capabilities}


def test_a_file_without_read_permission_backs_off_then_recovers(
        root: Path, state: Path, tmp_path: Path, obeying_modes: dict[str, Any]) -> None:
    append(root / "u" / "secret.jsonl", good("s", 2))
    with_neighbour(root)
    os.chmod(root / "u" / "secret.jsonl", 0o000)
    config = tmp_path / "fast.toml"
    config.write_text("settle = 0.02\nbackoff_base = 0.1\nbackoff_cap = 0.2\n")
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", PROC, **obeying_modes)
    try:
        failed = d.wait_for(events.FILE_UNREADABLE, lambda e: e["file"] == "u/secret.jsonl", count=2)
        assert failed[0]["error"] == "Permission denied" and failed[1]["attempts"] == 2
        assert failed[0]["retry_in"] > 0  # backs off, never parks an I/O error
        d.wait_for(events.PROCESSOR_COMMITTED)
        os.chmod(root / "u" / "secret.jsonl", 0o644)
        d.wait_for(events.FILE_APPENDED, lambda e: e["file"] == "u/secret.jsonl" and e["lines"] == 2)
        d.wait_for(events.PROCESSOR_COMMITTED, lambda e: e["items"] == 2)
    finally:
        assert d.stop() == 0
    assert not named(d.events, events.PROCESSOR_PARKED)
    assert contents(state, "u/secret.jsonl") == [0, 1]
    assert cursor(state, "u/secret.jsonl")["attempts"] == 0  # cleared by the success
    neighbour_ok(state)


def test_a_file_deleted_between_scan_and_read(root: Path, state: Path) -> None:
    append(root / "u" / "known.jsonl", good("k", 2))
    settings = fast_settings(root, state)
    assert Service(settings, [RecordingProcessor()]).run_once() == 0
    append(root / "u" / "known.jsonl", good("k", 1, 2))  # changed: the next scan queues it
    append(root / "u" / "new.jsonl", good("n", 2))
    with_neighbour(root)
    svc = Service(settings, [RecordingProcessor()])
    with capture_logs() as logs:
        svc.scan_now()  # both queued...
        (root / "u" / "known.jsonl").unlink()  # ...then gone before the worker reads them
        (root / "u" / "new.jsonl").unlink()
        svc.workers["recording"].drain()
    stats = svc.workers["recording"].stats
    svc.close()
    assert [e["file"] for e in logs if e["event"] == events.FILE_DELETED] == ["u/known.jsonl"]
    assert stats.skipped == 1 and stats.errors == 0  # the never-read one: nothing to undo
    assert not [e for e in logs if e["log_level"] in ("warning", "error")]
    assert query(state, "SELECT count(*) FROM recorded WHERE session_file LIKE 'u/%'") == [(0,)]
    assert query(state, "SELECT session_file FROM session_processor_state") == [("zoe/fine.jsonl",)]
    neighbour_ok(state)


class FolderRemovingProcessor(RecordingProcessor):
    """Removes its file's user folder while processing the first file it is given."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.removed: str | None = None

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        if self.removed is None and file.user == "u":
            shutil.rmtree(self.root / file.user)
            self.removed = file.key
        return super().process(file, records)


def test_a_user_folder_removed_while_being_processed(root: Path, state: Path) -> None:
    for i in range(5):
        append(root / "u" / f"{i}.jsonl", good(str(i), 2))
    append(root / "u" / "s" / "subagents" / "agent.jsonl", good("agent", 2))
    with_neighbour(root)
    processor = FolderRemovingProcessor(root)
    svc = Service(fast_settings(root, state), [processor])
    with capture_logs() as logs:
        svc.scan_now()
        svc.workers["recording"].drain()  # the folder vanishes under the first file's pass
        svc.scan_now()  # the scan sees it gone: the one file committed is deleted again
        svc.workers["recording"].drain()
    stats = svc.workers["recording"].stats
    svc.close()
    assert processor.removed is not None
    assert [e["file"] for e in logs if e["event"] == events.FILE_DELETED] == [processor.removed]
    # the other five vanished before being read: skipped on the first pass and on the second
    assert stats.errors == 0 and stats.skipped == 10
    assert not [e for e in logs if e["log_level"] in ("warning", "error")]
    assert query(state, "SELECT DISTINCT session_file FROM recorded") == [("zoe/fine.jsonl",)]
    assert query(state, "SELECT session_file FROM session_processor_state") == [("zoe/fine.jsonl",)]
    neighbour_ok(state)


def test_names_with_spaces_unicode_and_dots(root: Path, state: Path) -> None:
    keys = ["bob smith/sess ión.jsonl", "ünïcødé/日本語.jsonl", "carol/a..b.jsonl",
            "carol/x/subagents/agent ..1.jsonl", "d..e/f.jsonl"]
    for i, key in enumerate(keys):
        append(root / key, good(str(i), 2))
    append(root / "carol" / "..jsonl", good("hidden", 1))  # a hidden name: not a session file
    found, summary = once(root, state)
    assert sorted(e["file"] for e in named(found, events.FILE_APPENDED)) == sorted(keys)
    assert summary["items_extracted"] == 10 and summary["errors"] == 0
    for key in keys:
        assert contents(state, key) == [0, 1], key
    # and live, through watcher events
    with running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        for key in keys:
            append(root / key, good("more", 1, 2))
        for key in keys:
            wait_until(lambda k=key: query(svc, "SELECT count(*) FROM recorded WHERE session_file = ?",
                                           [k]) == [(3,)], what=key)


def test_names_that_are_not_utf8_are_skipped_and_reported(root: Path, state: Path) -> None:
    (root / "u").mkdir()
    bad = os.path.join(os.fsencode(root / "u"), b"caf\xe9.jsonl")
    with open(bad, "wb") as fh:
        fh.write(good("latin1", 2))
    os.mkdir(os.path.join(os.fsencode(root), b"\xff user"))
    with open(os.path.join(os.fsencode(root), b"\xff user", b"s.jsonl"), "wb") as fh:
        fh.write(good("x", 1))
    with_neighbour(root)
    found, summary = once(root, state)
    [scan] = named(found, events.SCAN_DONE)
    assert scan["files"] == 1 and len(scan["errors"]) == 2
    assert all("not valid UTF-8" in e for e in scan["errors"])
    [skipped] = named(found, events.SCAN_SKIPPED)  # a warning an operator sees
    assert skipped["level"] == "warning" and sorted(skipped["errors"]) == sorted(scan["errors"])
    assert summary["errors"] == 0
    neighbour_ok(state)
    assert query(state, "SELECT session_file FROM session_processor_state") == [("zoe/fine.jsonl",)]


def test_a_skipped_name_is_warned_about_once_not_every_scan(root: Path, state: Path) -> None:
    (root / "u").mkdir()
    bad = os.path.join(os.fsencode(root / "u"), b"caf\xe9.jsonl")
    with open(bad, "wb") as fh:
        fh.write(good("latin1", 2))
    with capture_logs() as logs, running(fast_settings(root, state), [RecordingProcessor()]) as svc:

        def scan() -> int:
            """One more scan, asked and done (no other runs: scan_interval is an hour)."""
            done = svc.scans_total
            svc.request_scan()
            wait_until(lambda: svc.scans_total > done, what=f"scan {done + 1}")
            return len([e for e in logs if e["event"] == events.SCAN_SKIPPED])

        assert scan() == 1 and scan() == 1  # the start's scan warned; the next ones do not
        warned = [e for e in logs if e["event"] == events.SCAN_SKIPPED]
        assert "not valid UTF-8" in warned[0]["errors"][0]
        # a folder deleted while the scan listed its parent (the race, made certain): not skipped
        real = svc.scanner.scan

        def racing(announced: set[str] | None = None, watch: Any = None) -> ScanResult:
            found = real(announced, watch)
            return replace(found, errors=[*found.errors, f"{root}/gone: {VANISHED}"])
        svc.scanner.scan = racing  # type: ignore[method-assign]
        assert scan() == 1
        svc.scanner.scan = real  # type: ignore[method-assign]
        os.remove(bad)
        assert scan() == 1
        with open(bad, "wb") as fh:
            fh.write(good("latin1", 2))
        assert scan() == 2  # the name back: told again


# -- volume and the watcher -----------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_ten_thousand_files_appearing_at_once(root: Path, state: Path, tmp_path: Path) -> None:
    (root / "u").mkdir()
    config = tmp_path / "c.toml"
    config.write_text("settle = 0.05\nmax_delay = 0.5\nscan_interval = 3600\n")
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", PROC)
    expected: dict[str, tuple[int, str]] = {}
    try:
        d.wait_for(events.DAEMON_READY)
        log = CursorLog(d, {}, "recording")
        for i in range(10_000):  # into an existing folder: only file events announce them
            data = good(f"f{i}", 1)
            user = "u" if i % 2 else "v"
            (root / user).mkdir(exist_ok=True)
            (root / user / f"{i}.jsonl").write_bytes(data)
            expected[f"{user}/{i}.jsonl"] = (len(data), prefix_hash(complete_part(data)))
        wait_until(lambda: not log.behind(expected), timeout=120, what="10,000 files committed")
        assert not log.problems, log.problems
    finally:
        assert d.stop() == 0
    assert query(state, "SELECT count(*), count(DISTINCT session_file) FROM recorded") == [(10_000, 10_000)]
    assert sum(e["files"] for e in named(d.events, events.PROCESSOR_COMMITTED)) >= 10_000
    assert not named(d.events, events.PROCESSOR_FAILED) and not named(d.events, events.STORE_COMMIT_FAILED)


def test_the_inotify_watch_limit_falls_back_to_scanning(
        root: Path, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")  # what inotify_add_watch says at the limit

    monkeypatch.setattr(watcher.Observer, "schedule", full)
    append(root / "u" / "a.jsonl", good("a", 1))
    with capture_logs() as logs, running(fast_settings(root, state, scan_interval=0.2),
                                         [RecordingProcessor()]) as svc:
        [unavailable] = [e for e in logs if e["event"] == events.WATCHER_UNAVAILABLE]
        assert "fs.inotify.max_user_watches" in unavailable["reason"]
        assert unavailable["fallback"] == "scan every 0.2s"
        assert svc.watcher is None and not svc.status()["watcher"]
        append(root / "u" / "a.jsonl", good("a", 1, 1))  # found by the periodic scan alone
        append(root / "v" / "b.jsonl", good("b", 1))
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(3,)], what="scan")
    assert len([e for e in logs if e["event"] == events.WATCHER_UNAVAILABLE]) == 1  # said once


def test_a_lost_inotify_queue_overflow_triggers_a_scan(root: Path, state: Path) -> None:
    """watchdog logs an overflow of the kernel's event queue but tells no handler; the watcher
    notices the record and asks for a scan, which finds what the lost events would have said."""
    (root / "u").mkdir()  # a new folder would cause a scan by itself
    with running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        wait_until(lambda: svc.watcher is not None and svc.watcher.running, what="the watcher")
        svc.settings = replace(svc.settings, drop_events=True)  # events lost from here on
        scans = svc.scans_total
        append(root / "u" / "a.jsonl", good("a", 1))
        logging.getLogger("watchdog.observers.inotify_c").warning(
            "Inotify queue overflowed; filesystem events were lost")
        wait_until(lambda: svc.scans_total > scans, what="a scan after the overflow")
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(1,)], what="the file")
        assert svc.missed_total == 1  # and the scan says events missed it


def test_the_watch_limit_reached_mid_run_is_detected_and_covered_by_scans(
        root: Path, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder that appears once the watch limit is reached gets no inotify watch, and watchdog
    says nothing (it skips a folder it cannot watch). The daemon compares the folders with the
    kernel's own list of watches after each scan, logs `watcher.limit`, scans that often
    (`unwatched_scan_interval`), and a reload -- once the limit is raised -- watches them."""
    from watchdog.observers import inotify_c

    real = inotify_c.InotifyFD.add_callback

    def at_the_limit(self: Any, path: bytes, *args: Any, **kwargs: Any) -> Any:
        if b"/blocked" in path:
            raise OSError(28, "inotify watch limit reached")  # what watchdog raises at ENOSPC
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(inotify_c.InotifyFD, "add_callback", at_the_limit)
    append(root / "u" / "a.jsonl", good("a", 1))
    settings = fast_settings(root, state, scan_interval=3600.0, unwatched_scan_interval=0.3)
    with capture_logs() as logs, running(settings, [RecordingProcessor()],
                                         reload=lambda: settings) as svc:
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(1,)], what="a.jsonl")
        assert [e for e in logs if e["event"] == events.WATCHER_LIMIT] == []  # all watched
        append(root / "blocked" / "b.jsonl", good("b", 1))  # a new user folder, unwatchable
        limit = wait_until(lambda: [e for e in logs if e["event"] == events.WATCHER_LIMIT],
                           what="watcher.limit")
        assert limit[0]["sample"] == ["blocked/"] and "max_user_watches" in limit[0]["reason"]
        assert svc.coverage.missing.keys() == {"blocked/"}
        assert b"sessiond_watcher_unwatched_folders 1.0" in svc.metrics.render()
        scans = svc.scans_total
        append(root / "blocked" / "b.jsonl", good("b", 1, 1))  # no event: only a scan finds it
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(3,)], timeout=10,
                   what="the append in the unwatched folder, found by the short scans")
        assert svc.scans_total > scans
        monkeypatch.setattr(inotify_c.InotifyFD, "add_callback", real)  # the limit is raised
        svc.request_reload()
        wait_until(lambda: not svc.coverage.missing, what="the folder watched after the reload")
        append(root / "blocked" / "b.jsonl", good("b", 1, 2))  # an event again
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(4,)], what="the event")
    assert len([e for e in logs if e["event"] == events.WATCHER_LIMIT]) == 1  # said once


def _sysctl(name: str) -> Path | None:
    path = Path("/proc/sys/fs/inotify") / name
    return path if os.access(path, os.W_OK) else None


@pytest.mark.skipif(_sysctl("max_queued_events") is None,
                    reason="needs a writable /proc/sys/fs/inotify/max_queued_events (root)")
def test_a_real_inotify_queue_overflow_is_detected(root: Path, state: Path) -> None:
    """The kernel's queue really overflows (a daemon whose inotify instance holds 16 events,
    200 files at once): watchdog's warning is the only signal (see `daemon.watcher`), the daemon
    notices it (`watcher.overflow`), scans, and every file is committed."""
    knob = _sysctl("max_queued_events")
    assert knob is not None
    before = knob.read_text()
    (root / "u").mkdir()
    knob.write_text("16\n")  # read when an inotify instance is made: the daemon's, below
    try:
        daemon = Daemon("--root", str(root), "--state", str(state), "--processors", PROC,
                        "--scan-interval", "3600", env={"SESSIOND_SETTLE": "0.05"})
        try:
            daemon.wait_for("daemon.ready", timeout=30)
        finally:
            knob.write_text(before)
        # stopped while the files come, the daemon reads none of their events: the queue of
        # 16 overflows whatever the machine's speed (a daemon reading as fast as they came kept
        # up with 200 files once, on an idle machine)
        os.kill(daemon.proc.pid, signal.SIGSTOP)
        try:
            for i in range(200):
                (root / "u" / f"f{i}.jsonl").write_bytes(good(f"f{i}", 1))
        finally:
            os.kill(daemon.proc.pid, signal.SIGCONT)
        daemon.wait_for(events.WATCHER_OVERFLOW, timeout=20)
        log = CursorLog(daemon, {}, "recording")
        wait_until(lambda: len(log.behind({f"u/f{i}.jsonl": _position(good(f"f{i}", 1))
                                            for i in range(200)})) == 0,
                   timeout=60, what="every file committed after the overflow")
        assert daemon.stop() == 0
    finally:
        knob.write_text(before)


def _position(data: bytes) -> tuple[int, str]:
    whole = complete_part(data)
    return len(whole), prefix_hash(whole)


# -- the state directory --------------------------------------------------------------------------


def _fsize_limit(limit: int) -> Any:
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return preexec


def test_a_full_state_directory_is_retried_without_corruption(
        root: Path, state: Path, tmp_path: Path) -> None:
    """A full disk, simulated for the daemon alone: RLIMIT_FSIZE makes its writes past a size
    fail (EFBIG, like ENOSPC for the writer); raising the limit with prlimit frees space."""
    with_neighbour(root)
    once(root, state)  # the state file exists; from here on it may not grow
    config = tmp_path / "c.toml"
    config.write_text("settle = 0.02\nbackoff_base = 0.1\nbackoff_cap = 0.4\nbatch_files = 2\n")
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", PROC, preexec_fn=_fsize_limit(state.stat().st_size))
    pad = "p" * 200
    files, per_file = 40, 300
    try:
        d.wait_for(events.DAEMON_READY)
        for i in range(files):
            append(root / f"user{i % 4}" / f"s{i}.jsonl",
                   jsonl(*({"n": n, "pad": pad} for n in range(per_file))))
        [third, *_] = d.wait_for(events.STORE_COMMIT_FAILED, lambda e: e["failures"] == 3, timeout=60)
        first = d.named(events.STORE_COMMIT_FAILED)[0]
        assert first["failures"] == 1 and first["retry_in"] < third["retry_in"]  # backs off
        assert "File too large" in (first["cause"] or first["error"])  # the real reason
        resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
        log = CursorLog(d, {}, "recording")
        wait_until(lambda: log.update() is not None and
                   {k for k in log.known if k.startswith("user")} == {
                       f"user{i % 4}/s{i}.jsonl" for i in range(files)},
                   timeout=60, what="every file committed once the disk has room")
    finally:
        rc = d.stop()
    assert rc == 0, d.stderr
    assert query(state, "SELECT count(*), count(DISTINCT (session_file, line_no)) FROM recorded") == [
        (files * per_file + 3,) * 2]
    assert not named(d.events, events.PROCESSOR_FAILED)
    found, summary = once(root, state)  # the state file is sound, and nothing was left behind
    assert not named(found, events.FILE_APPENDED) and summary["errors"] == 0


def test_a_read_only_state_directory_is_a_clear_error(
        root: Path, state: Path, obeying_modes: dict[str, Any]) -> None:
    append(root / "u" / "a.jsonl", good("a", 1))
    state.parent.mkdir()
    state.parent.chmod(0o555)
    try:
        d = Daemon("--root", str(root), "--state", str(state), "--processors", PROC, **obeying_modes)
        rc = d.proc.wait(timeout=60)
        d._close()
        assert not os.listdir(state.parent)  # nothing half-created
    finally:
        state.parent.chmod(0o755)
    assert rc == 2
    message = d.stderr.decode().strip()
    assert message.startswith("sessiond: ") and len(message.splitlines()) == 1, message
    assert str(state) in message and "Permission denied" in message, message


# -- the root -------------------------------------------------------------------------------------


def test_the_root_missing_at_start_and_appearing_later(tmp_path: Path, state: Path) -> None:
    root = tmp_path / "later"
    config = tmp_path / "c.toml"
    config.write_text("settle = 0.02\nscan_interval = 0.5\n")
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", PROC)
    try:
        missing = d.wait_for(events.SCAN_ROOT_MISSING)
        assert missing[0]["root"] == str(root) and missing[0]["level"] == "warning"
        d.wait_for(events.DAEMON_READY)
        staged = tmp_path / "staged"
        append(staged / "u" / "a.jsonl", good("a", 2))
        staged.rename(root)
        d.wait_for(events.WATCHER_STARTED)
        d.wait_for(events.PROCESSOR_COMMITTED, lambda e: e["items"] == 2)
        append(root / "u" / "a.jsonl", good("a", 1, 2))  # and now watched
        d.wait_for(events.PROCESSOR_COMMITTED, lambda e: e["items"] == 1)
    finally:
        assert d.stop() == 0
    assert contents(state, "u/a.jsonl") == [0, 1, 2]
    assert named(d.events, events.SCAN_DONE)[-1]["files"] == 1


# -- fairness -------------------------------------------------------------------------------------


def test_one_users_huge_upload_does_not_starve_the_others(root: Path, state: Path) -> None:
    """User ``big`` uploads a large file and many small ones first; ``small``'s one new file,
    queued after all of that, is read within the first round, not after ``big``'s backlog."""
    line = orjson.dumps({"type": "user", "text": "z" * 2000}) + b"\n"
    _write_repeated(root / "big" / "huge.jsonl", line * 256, 64 * MB)
    huge_lines = (root / "big" / "huge.jsonl").stat().st_size // len(line)
    for i in range(300):
        append(root / "big" / f"{i}.jsonl", good(str(i), 20))
    svc = Service(fast_settings(root, state, pass_bytes=MB, batch_files=8), [RecordingProcessor()])
    with capture_logs() as logs:
        svc.scan_now()  # big's 301 files are queued first...
        append(root / "small" / "one.jsonl", good("one", 1))
        svc.scan_now()  # ...then small's
        svc.workers["recording"].drain()
    stats = svc.workers["recording"].stats
    svc.close()
    order = [e["file"] for e in logs if e["event"] == events.FILE_APPENDED]
    assert order.index("small/one.jsonl") <= 1, f"small's file waited for {order.index('small/one.jsonl')} reads"
    assert order.count("big/huge.jsonl") >= 64  # the huge file went in passes of pass_bytes
    assert stats.errors == 0 and stats.lines == 300 * 20 + 1 + huge_lines
    assert contents(state, "small/one.jsonl") == [0]
    assert query(state, "SELECT count(*) FROM recorded WHERE session_file LIKE 'big/%'") == [
        (300 * 20 + huge_lines,)]


def test_a_same_size_rewrite_with_its_mtime_restored(root: Path, state: Path) -> None:
    path = root / "u" / "a.jsonl"
    append(path, good("a", 1, 1))
    before = path.stat()
    once(root, state)
    with path.open("r+b") as fh:
        fh.write(good("a", 1, 2))  # same length, other bytes, same inode
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    once(root, state)
    assert contents(state, "u/a.jsonl") == [2]
