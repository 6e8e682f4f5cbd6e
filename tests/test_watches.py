"""`daemon.watches`: the kernel's own list of watches, and folders called unwatched only when a
later check still finds them so; the first scan watching each folder before it lists it
(`daemon.watcher`: `Watcher.adopt`)."""

from __future__ import annotations

import os
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from sessiond.daemon import discovery, events, watcher, watches
from tests.fakes import FakeClock, RecordingProcessor
from tests.harness import append, fast_settings, jsonl, query, running, wait_until


def _lines(name: str, count: int, start: int = 0) -> bytes:
    return jsonl(*({"type": "user", "uuid": f"{name}-{i}", "n": i} for i in range(start, start + count)))


def test_the_kernel_lists_what_watchdog_watches(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    observer = Observer()
    observer.schedule(FileSystemEventHandler(), str(tmp_path), recursive=True)
    observer.start()
    try:
        inodes = watches.watched_inodes()
        assert inodes is not None
        assert {os.stat(p).st_ino for p in (tmp_path, tmp_path / "a", tmp_path / "a" / "b")} <= inodes
    finally:
        observer.stop()
        observer.join(timeout=5)


def test_a_folder_is_unwatched_only_when_a_later_check_still_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("u", "v"):
        (tmp_path / name).mkdir()
    ino = {name: os.stat(tmp_path / name).st_ino for name in ("u", "v")}
    kernel = {os.stat(tmp_path).st_ino, ino["u"]}
    monkeypatch.setattr(watches, "watched_inodes", lambda: set(kernel))
    clock = FakeClock()
    coverage = watches.Coverage(tmp_path, confirm=2.0, clock=clock)
    folders = [("", -1), ("u/", ino["u"]), ("v/", ino["v"])]
    assert coverage.check(folders) == [] and coverage.suspects.keys() == {"v/"}
    assert coverage.uncovered and not coverage.missing  # scanned often, not reported yet
    clock.advance(1.0)
    assert coverage.check(folders) == []  # too soon to tell
    clock.advance(1.5)
    assert coverage.check(folders) == ["v/"] and coverage.missing.keys() == {"v/"}
    assert coverage.check(folders) == []  # said once
    kernel.add(ino["v"])  # watched at last (a new watcher, after the limit was raised)
    assert coverage.check(folders) == [] and not coverage.uncovered
    # a suspect that gets its watch in time is never reported
    (tmp_path / "w").mkdir()
    folders.append(("w/", os.stat(tmp_path / "w").st_ino))
    assert coverage.check(folders) == [] and "w/" in coverage.suspects
    kernel.add(folders[-1][1])
    clock.advance(5.0)
    assert coverage.check(folders) == [] and not coverage.uncovered
    # folders that went away are forgotten
    assert coverage.check([("", -1)]) == [] and not coverage.uncovered


def _tree(root: Path) -> list[Path]:
    """Folders a session file may be in: users, a session's folder with `subagents`, one
    without; and folders no session file can be in (hidden, deeper)."""
    append(root / "u" / "s1.jsonl", _lines("s1", 1))
    append(root / "u" / "s1" / "subagents" / "agent-a.jsonl", _lines("a", 1))
    append(root / "u" / "s2" / "tool-results" / "x.txt", b"not a session file")
    append(root / "v" / "t.jsonl", _lines("t", 1))
    append(root / ".hidden" / "h.jsonl", _lines("h", 1))
    return [root, root / "u", root / "u" / "s1", root / "u" / "s1" / "subagents", root / "u" / "s2",
            root / "v"]


@pytest.mark.parametrize("root_first", [True, False], ids=["scan-watches", "watchdog-walks"])
def test_the_first_scan_watches_every_folder_it_lists(
        root: Path, state: Path, monkeypatch: pytest.MonkeyPatch, root_first: bool) -> None:
    """With watchdog 7 the watch starts on the root alone and the first scan adds every folder's
    (one walk of the tree at start, not two); with another watchdog (`_RootFirstObserver` None)
    watchdog walks. Either way, from the first scan on, every folder a session file can be in
    is watched, and changes in them arrive as events: the periodic scan is an hour away."""
    if root_first and int(version("watchdog").split(".")[0]) == 7:
        assert watcher._RootFirstObserver is not None  # the installed watchdog's internals fit
    if not root_first:
        monkeypatch.setattr(watcher, "_RootFirstObserver", None)
    elif watcher._RootFirstObserver is None:
        pytest.skip("this watchdog has no root-first watch: its start walks the tree itself")
    folders = _tree(root)
    with capture_logs() as logs, running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        [started] = [e for e in logs if e["event"] == events.WATCHER_STARTED]
        assert started["folders"] == ("by the next scan" if root_first else "all")
        assert svc.watcher is not None and not svc.watcher.pending  # the first scan is done
        inodes = watches.watched_inodes()
        assert inodes is not None
        assert {os.stat(f).st_ino for f in folders} <= inodes
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(3,)], what="the tree")
        append(root / "u" / "s1" / "subagents" / "agent-a.jsonl", _lines("a", 1, 1))
        append(root / "v" / "t.jsonl", _lines("t", 1, 1))
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(5,)], what="by events")
        assert svc.scans_total == 1  # no scan since the first: the events told
        append(root / "u" / "s2" / "subagents" / "agent-b.jsonl", _lines("b", 1))  # new `subagents`
        append(root / "w" / "new.jsonl", _lines("new", 1))  # a new user folder
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(7,)], what="new folders")
        # their files had no event before their folders' watches: owed none, so not missed
        wait_until(lambda: svc.scans_total >= 2, what="the scan the new folders asked for")
        assert svc.missed_total == 0, [e for e in logs if e["event"] == events.SCAN_MISSED_EVENTS]
        assert not [e for e in logs if e["event"] == events.WATCHER_LIMIT]
    assert {os.stat(root / "u" / "s2" / "tool-results").st_ino} & inodes == (
        set() if root_first else {os.stat(root / "u" / "s2" / "tool-results").st_ino})


def test_the_scan_watches_a_folder_before_it_lists_it(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The order that loses nothing: a file changed after its folder was listed has an event."""
    _tree(root)
    seen: list[tuple[str, str]] = []
    real = os.scandir

    def scandir(path: Any) -> Any:
        seen.append(("list", os.fspath(path)))
        return real(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    found = discovery.stat_tree(root, [], [], {}, [], [], lambda folder: seen.append(("watch", folder)))
    assert set(found) == {"u/s1.jsonl", "u/s1/subagents/agent-a.jsonl", "v/t.jsonl"}
    listed = [path for what, path in seen if what == "list" and path != os.fspath(root)]
    assert listed  # users and `subagents` folders
    for path in listed:
        assert ("watch", path) in seen[: seen.index(("list", path))], path
    watched = [path for what, path in seen if what == "watch"]
    assert os.fspath(root / "u" / "s2") in watched  # where a `subagents` folder may appear


def test_the_watch_limit_met_by_the_first_scan_is_reported_and_covered_by_scans(
        root: Path, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At the watch limit the first scan stops adding watches (watchdog warns once, not once a
    folder); the check of the kernel's watches reports the folders left unwatched, and scans
    find their changes."""
    if watcher._RootFirstObserver is None:
        pytest.skip("this watchdog has no root-first watch: its start walks the tree itself")
    from watchdog.observers import inotify_c

    real = inotify_c.InotifyFD.add_callback
    tried: list[bytes] = []

    def at_the_limit(self: Any, path: bytes, *args: Any, **kwargs: Any) -> Any:
        tried.append(path)
        if path.endswith(b"/u"):
            raise OSError(28, "inotify watch limit reached")  # what inotify says at ENOSPC
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(inotify_c.InotifyFD, "add_callback", at_the_limit)
    _tree(root)
    settings = fast_settings(root, state, unwatched_scan_interval=0.3)
    with capture_logs() as logs, running(settings, [RecordingProcessor()]) as svc:
        limit = wait_until(lambda: [e for e in logs if e["event"] == events.WATCHER_LIMIT],
                           what="watcher.limit")
        assert "u/" in limit[0]["sample"]
        [refused] = [i for i, p in enumerate(tried) if p.endswith(b"/u")]
        assert tried[refused + 1:] == []  # none tried after the refusal
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(3,)], what="the tree")
        append(root / "u" / "s1.jsonl", _lines("s1", 1, 1))  # no watch: the short scans find it
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(4,)], timeout=10,
                   what="the append in the unwatched folder")


def test_watchdog_internals_that_do_not_fit_fall_back_to_its_own_walk(
        root: Path, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The root-first watch leans on watchdog 7's private classes. If they fail at the start,
    the watcher starts watchdog's own way; if they fail while the scan adds watches, that
    watcher is stopped and the next one walks: either way every change still arrives."""
    from watchdog.observers import inotify

    class Broken(inotify.InotifyObserver):  # type: ignore[misc]
        def start(self) -> None:
            raise TypeError("not the internals this was written for")

    monkeypatch.setattr(watcher, "_RootFirstObserver", Broken)
    _tree(root)
    with capture_logs() as logs, running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        assert [e["folders"] for e in logs if e["event"] == events.WATCHER_STARTED] == ["all"]
        assert watcher._RootFirstObserver is None  # not tried again
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(3,)], what="the tree")
        append(root / "u" / "s1" / "subagents" / "agent-a.jsonl", _lines("a", 1, 1))
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(4,)], what="an event")
        assert svc.scans_total == 1


def test_watchdog_internals_that_fail_the_scans_watches_fall_back_to_its_own_walk(
        root: Path, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if watcher._RootFirstObserver is None:
        pytest.skip("this watchdog has no root-first watch: its start walks the tree itself")
    from watchdog.observers import inotify

    real = inotify.InotifyWatchGroup._add_callback

    def changed(self: Any, path: bytes) -> None:
        if type(self).__name__ == "RootFirst" and path != self.path:
            raise TypeError("not the internals this was written for")
        real(self, path)

    monkeypatch.setattr(inotify.InotifyWatchGroup, "_add_callback", changed)
    _tree(root)
    with capture_logs() as logs, running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        started = wait_until(lambda: [e["folders"] for e in logs if e["event"] == events.WATCHER_STARTED][1:],
                             what="a second watcher")
        assert started == ["all"]
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(3,)], what="the tree")
        wait_until(lambda: svc.scans_total == 2, what="the new watcher's scan")
        append(root / "u" / "s1" / "subagents" / "agent-a.jsonl", _lines("a", 1, 1))
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(4,)], what="an event")
        assert svc.scans_total == 2


def test_a_change_whose_event_comes_while_the_scan_runs_is_not_missed(root: Path, state: Path) -> None:
    """`missed_by_events` counts changes no event told of. An append made while a scan runs (at
    100k files a scan takes a second) has its event during the scan, not before it: not missed.
    One whose event is lost is."""
    append(root / "u" / "a.jsonl", _lines("a", 1))
    settings = fast_settings(root, state, settle=60.0, max_delay=60.0)  # only scans dispatch
    with running(settings, [RecordingProcessor()]) as svc:
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(1,)], what="a.jsonl")
        real = svc.scanner.scan
        found: list[list[str]] = []

        def scan_after_an_append(announced: Any = None, watch: Any = None) -> Any:
            append(root / "u" / "a.jsonl", _lines("a", 1, 1))  # the scan has begun
            wait_until(lambda: "u/a.jsonl" in svc._announced, what="its event")
            result = real(announced, watch)
            found.append([f.key for f in result.changed])
            return result

        svc.scanner.scan = scan_after_an_append  # type: ignore[method-assign]
        svc.scan_now()
        svc.scanner.scan = real  # type: ignore[method-assign]
        assert found == [["u/a.jsonl"]] and svc.missed_total == 0
        assert svc.last_scan["missed_by_events"] == 0
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(2,)], what="the append")
        svc.scan_now()  # what events told of since the last scan began: all said
        svc.settings = replace(svc.settings, drop_events=True)  # an event lost
        append(root / "u" / "a.jsonl", _lines("a", 1, 2))
        svc.scan_now()
        assert svc.missed_total == 1 and svc.last_scan["missed_by_events"] == 1


def test_the_files_of_a_folder_moved_out_are_removed_and_not_missed(
        root: Path, state: Path, tmp_path: Path) -> None:
    """A folder moved out of the tree takes its files with it, and inotify tells of the folder
    only: the scan it asks for finds them removed, owed no event of their own."""
    append(root / "u" / "a.jsonl", _lines("a", 1))
    append(root / "x" / "b.jsonl", _lines("b", 1))
    with running(fast_settings(root, state), [RecordingProcessor()]) as svc:
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(2,)], what="the tree")
        (root / "x").rename(tmp_path / "x-away")
        wait_until(lambda: query(svc, "SELECT count(*) FROM recorded") == [(1,)], what="x's removal")
        assert svc.scans_total >= 2 and svc.missed_total == 0
