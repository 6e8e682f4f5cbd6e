"""`daemon.watches`: the kernel's own list of watches, and folders called unwatched only when a
later check still finds them so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from sessiond.daemon import watches
from tests.fakes import FakeClock


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
