"""An append costs what it adds: the prefix hash state kept by the worker (`daemon.prefixes`).

Which rewrites are caught at once (the append that follows them is checked against the first
block and the 64 KiB before the cursor, the inode and the size) and which by the lazy check of
the whole prefix (``verify_after`` seconds later), with the real worker on real files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import xxhash

from sessiond.daemon import examine as examine_module
from sessiond.daemon.examine import Examined, Found, examine
from sessiond.daemon.prefixes import Prefix, Prefixes
from sessiond.daemon.service import Service
from sessiond.daemon.tailer import HEAD, SEAM
from sessiond.processors.contract import SessionFile
from sessiond.processors.lines import LinesProcessor
from sessiond.state.cursor import Cursor
from tests.fakes import RecordingProcessor
from tests.harness import append, fast_settings, jsonl, query, running, wait_until

BIG = 4 * (HEAD + SEAM)  # bytes before the cursor: the windows cover only a part of them


def lines(start: int, count: int, pad: int = 900) -> bytes:
    return jsonl(*({"type": "user", "uuid": f"u-{i}", "n": i, "pad": "x" * pad}
                   for i in range(start, start + count)))


def _examine(root: Path, cursor: Cursor | None, **options: Any) -> Examined:
    p = RecordingProcessor()
    return examine(p, root, SessionFile("u/a.jsonl", "u"), cursor, budget=1 << 30,
                   max_line_bytes=1 << 20, skip=(), prepare=lambda proc, rows: rows, keep_prefix=True, **options)


def _cursor(r: Examined, prev: Cursor | None = None) -> Cursor:
    assert r.stat is not None
    return Cursor(processor="recording", file="u/a.jsonl", user="u",
                  version=RecordingProcessor.version, offset=r.consumed, file_hash=r.digest,
                  lines=(prev.lines if prev else 0) + r.lines, size=r.stat.size,
                  mtime_ns=r.stat.mtime_ns, ino=r.stat.ino, ctime_ns=r.stat.ctime_ns)


def _no_prefix_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the prefix re-reads (the seam the fast path must not cross)."""
    reads: list[int] = []
    real = examine_module.hash_prefix

    def counted(fd: int, length: int) -> Any:
        reads.append(length)
        return real(fd, length)
    monkeypatch.setattr(examine_module, "hash_prefix", counted)
    return reads


@pytest.fixture
def read_once(root: Path) -> tuple[Path, Cursor, Examined]:
    path = root / "u" / "a.jsonl"
    append(path, lines(0, BIG // 1000))
    first = _examine(root, None)
    assert first.kind is Found.READ and first.prefix is not None
    return path, _cursor(first), first


def test_an_append_goes_on_from_the_kept_state_and_gets_the_whole_prefixs_hash(
        root: Path, read_once: tuple[Path, Cursor, Examined], monkeypatch: pytest.MonkeyPatch) -> None:
    path, cursor, first = read_once
    append(path, lines(1000, 2))
    reads = _no_prefix_reads(monkeypatch)
    r = _examine(root, cursor, prefix=first.prefix)
    assert reads == []  # the prefix was not read again
    assert r.kind is Found.READ and r.skipped and not r.rewrite and r.lines == 2
    assert r.digest == xxhash.xxh3_128(path.read_bytes()).hexdigest()  # the whole file's hash
    assert r.prefix is not None and r.prefix.offset == path.stat().st_size


@pytest.mark.parametrize("where", ["first block", "just before the cursor"])
def test_an_edit_the_windows_see_is_a_rewrite_at_once(
        root: Path, read_once: tuple[Path, Cursor, Examined], where: str) -> None:
    path, cursor, first = read_once
    data = bytearray(path.read_bytes())
    at = 40 if where == "first block" else cursor.offset - 200
    data[at] = ord("Y") if data[at] != ord("Y") else ord("Z")
    path.write_bytes(bytes(data) + lines(1000, 1))  # in place: same inode, longer
    r = _examine(root, cursor, prefix=first.prefix)
    assert r.kind is Found.READ and r.rewrite and r.start == 0


def test_a_replaced_file_reads_its_whole_prefix(
        root: Path, read_once: tuple[Path, Cursor, Examined], monkeypatch: pytest.MonkeyPatch) -> None:
    path, cursor, first = read_once
    tmp = path.with_name(".a.jsonl.upload")
    tmp.write_bytes(path.read_bytes() + lines(1000, 1))
    tmp.replace(path)  # a new inode with the same first bytes: an upload's rename
    reads = _no_prefix_reads(monkeypatch)
    r = _examine(root, cursor, prefix=first.prefix)
    assert reads == [cursor.offset] and not r.skipped
    assert r.kind is Found.READ and not r.rewrite and r.lines == 1  # same bytes: an append


def test_an_edit_in_the_middle_is_left_to_the_lazy_check_which_catches_it(
        root: Path, read_once: tuple[Path, Cursor, Examined]) -> None:
    path, cursor, first = read_once
    data = bytearray(path.read_bytes())
    middle = cursor.offset // 2
    assert HEAD < middle < cursor.offset - SEAM
    data[middle] = ord("Y") if data[middle] != ord("Y") else ord("Z")
    path.write_bytes(bytes(data))
    # Not longer: same size, mtime moved -- ambiguous, so the whole prefix is read at once.
    r = _examine(root, cursor, prefix=first.prefix)
    assert r.kind is Found.READ and r.rewrite and not r.skipped
    path.write_bytes(bytes(data) + lines(1000, 1))  # now also longer: the windows can't tell
    r = _examine(root, cursor, prefix=first.prefix)
    assert r.skipped and not r.rewrite  # not seen on this append ...
    assert r.digest != xxhash.xxh3_128(path.read_bytes()).hexdigest()  # (the kept hash is stale)
    quiet = _cursor(r, cursor)
    r = _examine(root, quiet, prefix=r.prefix, verify=True)  # ... but by the lazy check
    assert r.kind is Found.READ and r.rewrite and r.start == 0


def test_the_lazy_check_of_an_unchanged_file_reads_nothing_new(
        root: Path, read_once: tuple[Path, Cursor, Examined]) -> None:
    _, cursor, first = read_once
    r = _examine(root, cursor, prefix=first.prefix, verify=True)
    assert r.kind is Found.UNCHANGED and r.prefix is not None
    assert r.prefix.unverified_since is None and r.prefix.digest == cursor.file_hash


def _contents(service: Service) -> list[dict[str, Any]]:
    rows = query(service, "SELECT content FROM recorded WHERE session_file = 'u/a.jsonl' "
                          "ORDER BY line_no")
    return [orjson.loads(r[0]) for r in rows]


def test_the_daemon_catches_a_rewrite_in_the_middle_within_verify_after(root: Path, state: Path) -> None:
    """Live: appends go on from the kept state; an edit confined to the middle of the file,
    followed by an append, is redone once the file has been quiet for ``verify_after``."""
    path = root / "u" / "a.jsonl"
    first = BIG // 1000
    append(path, lines(0, first))
    settings = fast_settings(root, state, verify_after=1.0)
    with running(settings, [RecordingProcessor()]) as svc:
        worker = svc.workers["recording"]
        wait_until(lambda: len(_contents(svc)) == first, what="the backfill")
        append(path, lines(5000, 1))
        wait_until(lambda: len(_contents(svc)) == first + 1, what="the first append")
        kept = wait_until(lambda: worker.prefixes.get("u/a.jsonl"), what="a kept prefix")
        assert kept.offset == path.stat().st_size
        data = path.read_bytes()
        start = data.rfind(b"\n", 0, len(data) // 2) + 1
        edited = data[:start] + data[start:].replace(b'"type":"user"', b'"type":"USER"', 1)
        with path.open("r+b") as fh:  # in place, the same length, in the middle; then an append
            fh.write(edited)
        append(path, lines(6000, 1))
        wait_until(lambda: len(_contents(svc)) == first + 2, what="the append after the edit")
        wait_until(lambda: any(c["type"] == "USER" for c in _contents(svc)), timeout=15.0,
                   what="the lazy check to redo the edited file")
        got = [c["n"] for c in _contents(svc)]
        assert sorted(got) == [*range(first), 5000, 6000]  # each line once


def test_an_append_after_a_backfill_in_the_pool_goes_on_from_another_workers_state(
        root: Path, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parse pool's processes cannot send a hash state back: after a backfill read there,
    the first append of a file goes on from the state `lines` (read in its worker's thread) kept
    at the same offset, instead of re-reading the file (a 15 MB file each, figure 3b)."""
    n = BIG // 1000
    for name in ("a", "b"):  # two files: a batch the pool takes
        append(root / "u" / f"{name}.jsonl", lines(0, n))
    path = root / "u" / "a.jsonl"
    settings = fast_settings(root, state, parse_workers=1, parse_min_bytes=1)
    reads = _no_prefix_reads(monkeypatch)  # this process's reads: the thread's, not the pool's

    def done(count: int) -> bool:
        got = query(svc, "SELECT (SELECT count(*) FROM recorded), (SELECT count(*) FROM lines)")
        return got == [(count, count)]
    with running(settings, [LinesProcessor(), RecordingProcessor()]) as svc:
        wait_until(lambda: done(2 * n), what="the backfill")
        recording = svc.workers["recording"]
        assert recording.prefixes.get("u/a.jsonl") is None  # read in the pool: no state here
        reads.clear()
        append(path, lines(5000, 1))
        wait_until(lambda: done(2 * n + 1), what="the append, committed by both")
        assert reads == []  # neither processor read the prefix again
        kept = wait_until(lambda: recording.prefixes.get("u/a.jsonl"), what="a kept prefix")
        assert kept.offset == path.stat().st_size
        assert kept.digest == xxhash.xxh3_128(path.read_bytes()).hexdigest()


def test_another_worker_finds_the_state_at_its_offset_the_newest_or_the_one_before() -> None:
    """`lines` is often an append ahead of the slower processors: they borrow the state it had
    before its newest. Both go with the file when it is dropped or evicted."""
    def state(offset: int) -> Prefix:
        return Prefix(offset, f"d{offset}", xxhash.xxh3_128(), 1, ("", ""), "u")
    kept = Prefixes(capacity=2)
    kept.put("a", state(10))
    kept.put("a", state(20))
    assert [p.offset if p else None for p in (kept.peek("a", 10), kept.peek("a", 20), kept.peek("a", 30))] == [10, 20, None]
    kept.put("a", state(20))  # the same offset again: the earlier one stays
    assert kept.peek("a", 10) is not None
    kept.discard("a")
    assert kept.peek("a", 10) is None and kept.peek("a", 20) is None
    for key in ("a", "b", "c"):  # "a" is evicted, with its earlier state
        kept.put(key, state(1))
        kept.put(key, state(2))
    assert kept.peek("a", 1) is None and kept.peek("c", 1) is not None and len(kept) == 2


def test_a_rewrite_under_the_read_is_caught_when_the_times_did_not_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A truncate and a longer rewrite between the prefix check and the read, inside one tick of
    the kernel's coarse clock (mtime and ctime as they were): the size moved, so the read is
    checked again and found torn -- not handed on from the middle of a line (a long model run
    read ``"n…`` as a line so)."""
    path = tmp_path / "u" / "a.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(lines(0, 3, pad=10))
    first = _examine(tmp_path, None)
    cursor = _cursor(first)
    append(path, lines(3, 1, pad=10))  # an append: the next read checks the prefix, then reads
    frozen: list[Any] = []
    real_stat_of, real_read = examine_module.stat_of, examine_module.read_lines

    def coarse(st: Any) -> Any:  # the times of the first stat, the size as it is
        now = real_stat_of(st)
        if not frozen:
            frozen.append(now)
        return now._replace(mtime_ns=frozen[0].mtime_ns, ctime_ns=frozen[0].ctime_ns)

    def rewritten_first(fd: int, *args: Any, **kwargs: Any) -> Any:
        with path.open("r+b") as fh:  # other bytes from the start, longer than before
            fh.truncate(0)
            fh.write(b'{"note": "' + b"n" * 40 + b'"}\n' + lines(10, 6, pad=30))
        return real_read(fd, *args, **kwargs)

    monkeypatch.setattr(examine_module, "stat_of", coarse)
    monkeypatch.setattr(examine_module, "read_lines", rewritten_first)
    again = _examine(tmp_path, cursor)
    assert again.kind is Found.CHANGED, again
