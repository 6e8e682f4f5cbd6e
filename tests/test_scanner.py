from __future__ import annotations

import os
from pathlib import Path

import pytest

from sessiond.daemon.scanner import Scanner


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_reports_only_new_changed_and_removed(tmp_path: Path) -> None:
    write(tmp_path / "a" / "1.jsonl", "{}\n")
    write(tmp_path / "a" / "2.jsonl", "{}\n")
    scanner = Scanner(tmp_path)
    first = scanner.scan()
    assert sorted(f.key for f in first.changed) == ["a/1.jsonl", "a/2.jsonl"]
    assert first.files == 2 and first.missed_by_events == 0
    assert scanner.scan().changed == []
    with (tmp_path / "a" / "1.jsonl").open("a") as fh:
        fh.write("{}\n")
    os.unlink(tmp_path / "a" / "2.jsonl")
    write(tmp_path / "b" / "s" / "subagents" / "agent-x.jsonl", "{}\n")
    third = scanner.scan()
    assert sorted(f.key for f in third.changed) == ["a/1.jsonl", "b/s/subagents/agent-x.jsonl"]
    assert [f.key for f in third.removed] == ["a/2.jsonl"]


def test_counts_changes_no_event_announced(tmp_path: Path) -> None:
    scanner = Scanner(tmp_path)
    scanner.scan(None)
    write(tmp_path / "a" / "seen.jsonl", "{}\n")
    write(tmp_path / "a" / "missed.jsonl", "{}\n")
    result = scanner.scan({"a/seen.jsonl"})
    assert result.missed_by_events == 1
    assert result.missed == ["a/missed.jsonl"]


def test_what_commits_saw_is_known_to_the_next_scan(tmp_path: Path) -> None:
    """`learn`: a file read between scans is not dispatched again unchanged, and found removed
    when it goes; one found gone is forgotten; `forget` makes the next scan report a file."""
    scanner = Scanner(tmp_path)
    scanner.scan()
    write(tmp_path / "a" / "events.jsonl", "{}\n")  # told of by events, read, committed
    write(tmp_path / "a" / "gone.jsonl", "{}\n")
    for key in ("a/events.jsonl", "a/gone.jsonl"):
        st = os.lstat(tmp_path / key)
        scanner.learn(key, (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
    os.unlink(tmp_path / "a" / "events.jsonl")  # and its deletion's event is lost
    os.unlink(tmp_path / "a" / "gone.jsonl")
    scanner.learn("a/gone.jsonl", None)  # this one's deletion was read
    assert scanner.knows("a/events.jsonl") and not scanner.knows("a/gone.jsonl")
    result = scanner.scan()
    assert result.changed == [] and [f.key for f in result.removed] == ["a/events.jsonl"]
    write(tmp_path / "a" / "kept.jsonl", "{}\n")
    assert [f.key for f in scanner.scan().changed] == ["a/kept.jsonl"]
    assert scanner.scan().changed == []
    with (tmp_path / "a" / "kept.jsonl").open("a") as fh:  # an append the events brought, read
        fh.write("{}\n")
    st = os.lstat(tmp_path / "a" / "kept.jsonl")
    scanner.learn("a/kept.jsonl", (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
    assert scanner.scan().changed == []  # not dispatched again by the scan
    assert scanner.knows("a/kept.jsonl")
    scanner.forget(["a/kept.jsonl"])
    assert not scanner.knows("a/kept.jsonl")
    assert [f.key for f in scanner.scan().changed] == ["a/kept.jsonl"]
    assert scanner.knows("a/kept.jsonl") and not scanner.knows("a/events.jsonl")


def test_index_loaded_at_start_suppresses_unchanged_files(tmp_path: Path) -> None:
    write(tmp_path / "a" / "1.jsonl", "{}\n")
    write(tmp_path / "a" / "2.jsonl", "{}\n")
    first = Scanner(tmp_path)
    first.scan()
    restarted = Scanner(tmp_path, {"a/1.jsonl": first.index["a/1.jsonl"]})
    assert [f.key for f in restarted.scan().changed] == ["a/2.jsonl"]


def test_an_unreadable_folder_is_not_a_deletion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "a" / "1.jsonl", "{}\n")
    write(tmp_path / "b" / "2.jsonl", "{}\n")
    scanner = Scanner(tmp_path)
    scanner.scan()
    real = os.scandir

    def scandir(path: str) -> object:  # the seam: tests run as root, which reads any folder
        if str(path).endswith("/b"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = scanner.scan()
    assert result.removed == [] and "b/2.jsonl" in scanner.index
    assert any("Permission denied" in e for e in result.errors)


def test_a_missing_root_is_not_a_deletion(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(root / "a" / "1.jsonl", "{}\n")
    scanner = Scanner(root)
    scanner.scan()
    root.rename(tmp_path / "elsewhere")  # the volume goes away
    result = scanner.scan()
    assert not result.root_exists and result.removed == []
    assert "a/1.jsonl" in scanner.index
