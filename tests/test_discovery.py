from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from sessiond.daemon.discovery import NotRegularFile, classify, key_for, open_session_file, walk


@pytest.mark.parametrize(
    ("key", "user"),
    [
        ("alice/5f0c.jsonl", "alice"),
        ("alice/5f0c/subagents/agent-1.jsonl", "alice"),
        ("bob smith/sess ión.jsonl", "bob smith"),
        ("carol/a..b.jsonl", "carol"),
    ],
)
def test_session_files(key: str, user: str) -> None:
    file = classify(key)
    assert file is not None and file.user == user and file.key == key


@pytest.mark.parametrize(
    "key",
    [
        "top.jsonl", "alice/.hidden.jsonl", ".alice/x.jsonl", "alice/x.jsonl.tmp", "alice/x.json",
        "alice/.jsonl", "alice/s/x.jsonl", "alice/s/subagents/deeper/x.jsonl",
        "alice/.s/subagents/x.jsonl", "alice/../x.jsonl", "alice/s/other/x.jsonl",
    ],
)
def test_not_session_files(key: str) -> None:
    assert classify(key) is None


def test_key_for_rejects_paths_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert key_for(root, str(root / "a" / "b.jsonl")) == "a/b.jsonl"
    assert key_for(root, str(tmp_path / "rootx" / "a.jsonl")) is None
    assert key_for(root, "/etc/passwd") is None


def test_walk_skips_links_hidden_and_non_regular(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jsonl").write_text('{"a":1}\n')
    (root / "alice" / "s1" / "subagents").mkdir(parents=True)
    (root / "alice" / "a.jsonl").write_text("{}\n")
    (root / "alice" / "s1" / "subagents" / "agent-1.jsonl").write_text("{}\n")
    (root / "alice" / ".tmp.jsonl").write_text("{}\n")
    (root / "alice" / "link.jsonl").symlink_to(outside / "secret.jsonl")
    (root / "mallory").symlink_to(outside)  # a symlinked user folder
    os.mkfifo(root / "alice" / "fifo.jsonl")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "alice" / "sock.jsonl"))
    errors: list[str] = []
    found = sorted(f.key for f, _ in walk(root, errors))
    sock.close()
    assert found == ["alice/a.jsonl", "alice/s1/subagents/agent-1.jsonl"]
    assert errors == []


def test_open_refuses_links_and_fifos(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.jsonl").write_text("{}\n")
    (root / "alice").mkdir(parents=True)
    (root / "alice" / "ok.jsonl").write_text("{}\n")
    (root / "alice" / "link.jsonl").symlink_to(outside / "x.jsonl")
    (root / "mallory").symlink_to(outside)
    os.mkfifo(root / "alice" / "fifo.jsonl")
    fd = open_session_file(root, "alice/ok.jsonl")
    assert os.read(fd, 10) == b"{}\n"
    os.close(fd)
    for key in ("alice/link.jsonl", "mallory/x.jsonl", "alice/fifo.jsonl"):
        with pytest.raises(NotRegularFile):
            open_session_file(root, key)  # the FIFO open must not block without a writer
    with pytest.raises(FileNotFoundError):
        open_session_file(root, "alice/gone.jsonl")
