"""The work queue of one processor: each file at most once, each with the time it may run,
served round-robin across users.

Thread-safe: the dispatcher (watcher, scanner threads) puts, the processor's worker takes. A
file put again while queued keeps one entry with the earlier ready time. Times are monotonic.

Fairness: files that are due wait in one lane per user, and `take` serves the lanes in turn,
one file each, so a user who uploads 10,000 files (or one huge file, requeued after every
pass) delays another user's new file by at most one file per busy user, never by their whole
backlog. Within a lane, files keep their ready order. A heap with lazy deletion keeps put and
take O(log n) during a 100k-file backfill.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterable

from sessiond.processors.contract import SessionFile


class WorkQueue:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._items: dict[str, tuple[SessionFile, float, float]] = {}  # key -> file, ready, since
        self._heap: list[tuple[float, int, str]] = []  # (ready, seq, key) not yet due; may be stale
        self._lanes: dict[str, deque[str]] = {}  # user -> keys that are due, in ready order
        self._due: set[str] = set()  # keys sitting in a lane
        self._turns: deque[str] = deque()  # users with a non-empty lane, next to serve first
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
            if old is not None and (old[1] <= when or file.key in self._due):
                return  # already due, or due earlier
            since = old[2] if old is not None else now
            self._items[file.key] = (file, when, since)
            heapq.heappush(self._heap, (when, next(self._seq), file.key))
            self._cond.notify()

    def unget(self, files: Iterable[SessionFile]) -> None:
        """Give back files a worker took but did not get to: due now, first in their lanes."""
        now = self._clock()
        with self._cond:
            for file in reversed(list(files)):
                if file.key in self._items:
                    continue  # put again meanwhile: that entry stands
                self._items[file.key] = (file, now, now)
                self._lane(file.user, front=True).appendleft(file.key)
                self._due.add(file.key)
            self._cond.notify()

    def take(self, limit: int, *, ignore_ready: bool = False) -> list[SessionFile]:
        """Remove and return up to ``limit`` files that are ready now, one per user in turn."""
        now = self._clock()
        out: list[SessionFile] = []
        with self._cond:
            self._promote(None if ignore_ready else now)
            turns, lanes = self._turns, self._lanes
            while turns and len(out) < limit:
                user = turns.popleft()
                lane = lanes[user]
                key = lane.popleft()
                self._due.discard(key)
                out.append(self._items.pop(key)[0])
                if lane:
                    turns.append(user)
                else:
                    del lanes[user]
        return out

    def _promote(self, now: float | None) -> None:
        """Move every file due by ``now`` (all, if None) from the heap into its user's lane."""
        heap = self._heap
        while heap and (now is None or heap[0][0] <= now):
            when, _, key = heapq.heappop(heap)
            item = self._items.get(key)
            if item is None or item[1] != when or key in self._due:
                continue  # stale
            self._lane(item[0].user).append(key)
            self._due.add(key)

    def _lane(self, user: str, *, front: bool = False) -> deque[str]:
        lane = self._lanes.get(user)
        if lane is None:
            lane = self._lanes[user] = deque()
            if front:
                self._turns.appendleft(user)
            else:
                self._turns.append(user)
        return lane

    def next_ready(self) -> float | None:
        with self._cond:
            if self._turns:
                return self._clock()
            heap = self._heap
            while heap and (heap[0][2] not in self._items or self._items[heap[0][2]][1] != heap[0][0]
                            or heap[0][2] in self._due):
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
