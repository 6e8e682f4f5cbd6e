"""One read of a file's new bytes serves every processor that reads them the same way
(`daemon.reads`): the entry is taken by the others, then goes; a changed file is read again."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

from sessiond.daemon.examine import Found, examine, finish
from sessiond.daemon.reads import Key, Reads, sharers
from sessiond.daemon.tailer import Read
from sessiond.processors.contract import SessionFile
from sessiond.processors.framing import BlockFramer
from sessiond.processors.lines import LinesProcessor
from sessiond.processors.usage import UsageProcessor
from sessiond.state.cursor import new_hasher
from tests.harness import lines_of

FILE = SessionFile("u/a.jsonl", "u")


class Twin(LinesProcessor):
    """Another processor reading lines the same way as `lines`."""

    name = "twin"
    sql = MappingProxyType({"lines": LinesProcessor.sql["lines"]})


class Skipping(LinesProcessor):
    name = "skipping"
    skip_prefixes = (b'{"type":"summary"',)


def _examine(p: Any, root: Path, reads: Reads, uses: int) -> Any:
    skip = tuple(getattr(p, "skip_prefixes", ()))
    r = examine(p, root, FILE, None, budget=1 << 20, max_line_bytes=1 << 20, skip=skip,
                prepare=lambda _p, rows: rows, reads=reads, uses=uses, keep_prefix=True)
    finish(p, [(FILE, r)], skip=skip, prepare_many=lambda _p, rows: list(rows))
    return r


def _shared(size: int = 100) -> Read:
    read = Read([], 0, 0, "", True, new_hasher())
    framer = BlockFramer(0, max_line_bytes=1 << 20)
    framer.feed(b'{"a":"' + b"x" * size + b'"}\n')
    read.block = framer.block()
    return read


def _key(n: int) -> Key:
    return Key(f"u/{n}.jsonl", 1, 10, 10, 0, "", 1, 1, 1)


def test_a_read_is_taken_by_the_other_processors_and_then_goes(tmp_path: Path) -> None:
    (tmp_path / "u").mkdir()
    (tmp_path / "u" / "a.jsonl").write_bytes(lines_of("a", 3))
    reads = Reads()
    first = _examine(LinesProcessor(), tmp_path, reads, uses=1)
    assert first.kind is Found.READ and len(reads) == 1 and reads.misses == 1
    second = _examine(Twin(), tmp_path, reads, uses=1)
    assert reads.hits == 1 and len(reads) == 0  # taken by the one other processor: gone
    assert second.rows["lines"].to_pylist() == first.rows["lines"].to_pylist()
    assert (second.consumed, second.digest, second.lines) == (first.consumed, first.digest, 3)
    # each took its own copy of the hash state: going on from one leaves the other as it was
    assert first.prefix is not None and second.prefix is not None
    second.prefix.state.update(b"more")
    assert first.prefix.state.hexdigest() == first.digest


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "u" / "a.jsonl"
    path.parent.mkdir()
    path.write_bytes(lines_of("a", 2))
    reads = Reads()
    _examine(LinesProcessor(), tmp_path, reads, uses=2)
    skipping = _examine(Skipping(), tmp_path, reads, uses=0)  # other skip prefixes: shared too
    assert reads.hits == 1 and skipping.lines == 2
    with path.open("ab") as f:
        f.write(lines_of("b", 1))
    again = _examine(Twin(), tmp_path, reads, uses=0)
    assert reads.hits == 1 and again.lines == 3  # the file grew: its own read, all of it


def test_held_bytes_are_bounded_and_old_entries_expire() -> None:
    now = [0.0]
    reads = Reads(capacity=3 * len(_shared().block.data), ttl=10.0, clock=lambda: now[0])
    for n in range(5):
        reads.put(_key(n), _shared(), uses=5)
    assert len(reads) == 3 and reads.held <= reads.capacity
    assert reads.get(_key(0)) is None and reads.get(_key(4)) is not None  # oldest out first
    now[0] = 11.0
    reads.expire()
    assert len(reads) == 0 and reads.held == 0
    reads.put(_key(9), _shared(), uses=0)  # nobody else would take it: not kept
    assert len(reads) == 0


class Elsewhere(LinesProcessor):
    name = "elsewhere"

    def wants(self, file: SessionFile) -> bool:
        return False


def test_sharers_counts_the_other_processors_that_read_the_file_as_a_block() -> None:
    lines, twin, skipping = LinesProcessor(), Twin(), Skipping()
    count = sharers([lines, twin, skipping, Elsewhere(), UsageProcessor()])  # usage: Python form
    assert [count(p, FILE) for p in (lines, twin, skipping)] == [2, 2, 2]
