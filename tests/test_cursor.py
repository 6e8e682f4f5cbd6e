from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sessiond.daemon.discovery import stat_tree
from sessiond.daemon.scanner import UNSEEN
from sessiond.state.cursor import (
    EMPTY_HASH,
    Cursor,
    Plan,
    Stat,
    backoff_seconds,
    decide,
    seen,
    seen_stats,
)


def cursor(**kw: object) -> Cursor:
    base = dict(processor="p", file="u/f.jsonl", user="u", version=1, offset=100,
                file_hash="h", lines=3, size=120, mtime_ns=5, ino=7)
    base.update(kw)
    return Cursor(**base)  # type: ignore[arg-type]


def test_no_cursor_reads_fresh() -> None:
    assert decide(None, Stat(10, 1, 1), 1).plan is Plan.FRESH


def test_unchanged_stat_reads_nothing() -> None:
    assert decide(cursor(), Stat(120, 5, 7), 1).plan is Plan.UNCHANGED


def test_grown_or_replaced_file_is_verified() -> None:
    assert decide(cursor(), Stat(200, 6, 7), 1).plan is Plan.VERIFY
    # temp file + rename: new inode, longer: verified by hash, so it can count as an append
    assert decide(cursor(), Stat(200, 6, 99), 1).plan is Plan.VERIFY


def test_shorter_than_offset_is_a_rewrite() -> None:
    d = decide(cursor(), Stat(50, 6, 7), 1)
    assert (d.plan, d.reason) == (Plan.REWRITE, "truncated")


def test_version_bump_is_a_rewrite() -> None:
    d = decide(cursor(), Stat(120, 5, 7), 2)
    assert (d.plan, d.reason) == (Plan.REWRITE, "version")


def test_cursor_at_zero_reads_fresh_unless_unchanged() -> None:
    c = cursor(offset=0, file_hash=EMPTY_HASH, size=3)
    assert decide(c, Stat(3, 5, 7), 1).plan is Plan.UNCHANGED
    assert decide(c, Stat(9, 6, 7), 1).plan is Plan.FRESH


def test_backoff_doubles_and_caps() -> None:
    assert [backoff_seconds(n, base=2, cap=30) for n in range(6)] == [0, 2, 4, 8, 16, 30]
    assert backoff_seconds(10_000, base=2, cap=3600) == 3600


U63, I64 = st.integers(0, 2**63 - 1), st.integers(-(2**63), 2**63 - 1)
STATS = st.tuples(U63, I64, U63, I64)


@given(STATS, STATS)
def test_a_packed_stat_is_equal_exactly_when_the_stat_is(a: tuple[int, int, int, int],
                                                          b: tuple[int, int, int, int]) -> None:
    assert list(seen_stats([seen(a), seen(b)])) == [a, b] and seen(a) >= 0
    assert (seen(a) == seen(b)) == (a == b)
    assert seen(a) != UNSEEN


def test_the_scan_packs_what_lstat_says_even_before_1970(tmp_path: Path) -> None:
    f = tmp_path / "u" / "s.jsonl"
    f.parent.mkdir()
    f.write_text("{}\n")
    os.utime(f, ns=(-5_000_000_123, -86_400_000_000_000))  # 1969-12-31
    s = f.stat()
    found = stat_tree(tmp_path, [])
    assert list(seen_stats(found.values())) == [(s.st_size, s.st_mtime_ns, s.st_ino, s.st_ctime_ns)]
    assert s.st_mtime_ns < 0
    assert list(seen_stats([UNSEEN])) == [(0, 0, -1, 0)]  # no file's: what status shows for it
