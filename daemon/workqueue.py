"""The work queue of one processor: each file at most once, each with the time it may run.

Thread-safe: the dispatcher (watcher, scanner threads) puts, the processor's worker takes. A
file put again while queued keeps one entry with the earlier ready time. Times are monotonic.
A heap with lazy deletion keeps put and take O(log n) during a 100k-file backfill.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable

from processors.contract import SessionFile


class WorkQueue:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._items: dict[str, tuple[SessionFile, float, float]] = {}  # key -> file, ready, since
        self._heap: list[tuple[float, int, str]] = []  # (ready, seq, key); may hold stale entries
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._closed = False

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    def put(self, file: SessionFile, ready: float | None = None) -> None:
        now = self._clock()
        when = now if ready is None else ready
        with self._cond:
            old = self._items.get(file.key)
            if old is not None and old[1] <= when:
                return
            since = old[2] if old is not None else now
            self._items[file.key] = (file, when, since)
            heapq.heappush(self._heap, (when, next(self._seq), file.key))
            self._cond.notify()

    def take(self, limit: int, *, ignore_ready: bool = False) -> list[SessionFile]:
        """Remove and return up to ``limit`` files that are ready now, earliest first."""
        now = self._clock()
        out: list[SessionFile] = []
        with self._cond:
            heap = self._heap
            while heap and len(out) < limit:
                when, _, key = heap[0]
                item = self._items.get(key)
                if item is None or item[1] != when:
                    heapq.heappop(heap)  # stale
                    continue
                if when > now and not ignore_ready:
                    break
                heapq.heappop(heap)
                del self._items[key]
                out.append(item[0])
        return out

    def next_ready(self) -> float | None:
        with self._cond:
            heap = self._heap
            while heap and (heap[0][2] not in self._items or self._items[heap[0][2]][1] != heap[0][0]):
                heapq.heappop(heap)
            return heap[0][0] if heap else None

    def oldest_since(self) -> float | None:
        """When the longest-waiting queued change arrived (for lag); O(n), for status only."""
        with self._cond:
            return min((v[2] for v in self._items.values()), default=None)

    def wait(self, timeout: float | None) -> None:
        """Block until something is put, the queue is closed, or the timeout passes."""
        with self._cond:
            if not self._closed:
                self._cond.wait(timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed
