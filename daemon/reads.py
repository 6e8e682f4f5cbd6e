"""One read of a file's new bytes for every processor that reads them (issue #13 part 1).

Each processor has its own worker and cursor, so without this each read, hashed and framed
the same new bytes of a file once per processor -- in a backfill, the same work three
times. A worker that reads a file in the SQL forms (`processors.sqlform`) leaves the result here;
another worker about to read the same bytes takes it instead.

The same bytes: the same file (inode, size, mtime -- a changed file changes one of them), read
from the same offset after the same prefix (the cursor's hash, checked by each worker against
the file before it asks), with the same budget. The entry holds the lines read (one immutable
buffer), the cursor values the read ends at and the hash state there (copied by each user). An
entry goes once the other processors that read the file as a block took it, or after ``ttl`` seconds, or when more than ``capacity`` bytes are held (least
recently used first): a processor that comes too late reads the file itself, which is only
slower, and an idle daemon holds nothing here.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sessiond.daemon.tailer import Read
from sessiond.processors.contract import Narrowing, Processor, Selecting, SessionFile
from sessiond.state.cursor import Stat


@dataclass(frozen=True, slots=True)
class Key:
    file: str
    ino: int
    size: int
    mtime_ns: int
    start: int
    digest: str  # the hash of [0, start)
    first_line: int
    budget: int
    max_line_bytes: int

    @classmethod
    def of(cls, file: str, stat: Stat, start: int, digest: str, first_line: int, *, budget: int,
           max_line_bytes: int) -> Key:
        return cls(file, stat.ino, stat.size, stat.mtime_ns, start, digest, first_line, budget,
                   max_line_bytes)


@dataclass(slots=True)
class _Entry:
    read: Read  # its ``state``: copy it before hashing on
    size: int
    uses: int  # other processors still expected to take it
    born: float


class Reads:
    """Recent reads, by `Key`, up to ``capacity`` bytes of lines. Thread-safe."""

    def __init__(self, capacity: int = 256 << 20, ttl: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._clock = clock
        self._map: OrderedDict[Key, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Key) -> Read | None:
        with self._lock:
            self._expire()
            entry = self._map.get(key)
            if entry is None:
                self.misses += 1
                return None
            self.hits += 1
            entry.uses -= 1
            if entry.uses <= 0:
                self._drop(key)
            else:
                self._map.move_to_end(key)
            return entry.read

    def put(self, key: Key, read: Read, uses: int) -> None:
        """Keep ``read`` for ``uses`` other processors (none: nothing is kept)."""
        size = len(read.block.data) if read.block is not None else 0
        if uses <= 0 or size > self.capacity:
            return
        with self._lock:
            if key in self._map:
                self._drop(key)
            self._map[key] = _Entry(read, size, uses, self._clock())
            self._bytes += size
            while self._bytes > self.capacity:
                self._drop(next(iter(self._map)))
            self._expire()

    def expire(self) -> None:
        """Drop what is older than ``ttl`` (also done on every get and put)."""
        with self._lock:
            self._expire()

    def _expire(self) -> None:
        limit = self._clock() - self.ttl
        for key in [k for k, e in self._map.items() if e.born <= limit]:
            self._drop(key)

    def _drop(self, key: Key) -> None:
        self._bytes -= self._map.pop(key).size

    @property
    def held(self) -> int:
        """Bytes of lines held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._map)


def block_form(processor: Processor) -> bool:
    """Whether the processor reads lines as a block (the SQL forms): what `Reads` shares."""
    return isinstance(processor, Selecting | Narrowing)


def sharers(processors: Sequence[Processor]) -> Callable[[Processor, SessionFile], int]:
    """For a processor and a file: how many *other* processors read that file's lines as a block
    too -- the uses to keep its read for."""
    blocks = [p for p in processors if block_form(p)]

    def count(processor: Processor, file: SessionFile) -> int:
        return sum(1 for p in blocks if p is not processor and p.wants(file))
    return count
