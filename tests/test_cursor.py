from __future__ import annotations

from sessiond.state.cursor import EMPTY_HASH, Cursor, Plan, Stat, backoff_seconds, decide


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
