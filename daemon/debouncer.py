"""The debouncer: per-file event coalescing, pure, driven by an injected clock value.

A file is released once it has been quiet for ``settle`` seconds, or ``max_delay`` seconds after
its first pending event, whichever comes first -- so a file that never stops growing is still
processed at least every ``max_delay``. The byte range is decided later, by the worker.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass


@dataclass(slots=True)
class _Pending:
    first: float
    last: float


class Debouncer:
    def __init__(self, *, settle: float, max_delay: float) -> None:
        self.settle = settle
        self.max_delay = max_delay
        self._pending: dict[str, _Pending] = {}
        self._heap: list[tuple[float, str]] = []  # lazy: entries may be stale

    def __len__(self) -> int:
        return len(self._pending)

    def _deadline(self, p: _Pending) -> float:
        return min(p.last + self.settle, p.first + self.max_delay)

    def mark(self, key: str, now: float) -> bool:
        """Record an event for ``key``; True if the earliest deadline moved earlier."""
        p = self._pending.get(key)
        if p is None:
            p = self._pending[key] = _Pending(now, now)
        else:
            p.last = max(p.last, now)
        deadline = self._deadline(p)
        earlier = not self._heap or deadline < self._heap[0][0]
        heapq.heappush(self._heap, (deadline, key))
        return earlier

    def due(self, now: float) -> list[str]:
        """Release (and forget) every file whose deadline has passed."""
        out: list[str] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, key = heapq.heappop(heap)
            p = self._pending.get(key)
            if p is None:
                continue
            # Deadlines only move later, and every mark pushed the current one, so a stale
            # entry (deadline < actual) always has a fresher one still in the heap.
            if self._deadline(p) <= now:
                del self._pending[key]
                out.append(key)
        return out

    def next_deadline(self) -> float | None:
        heap = self._heap
        while heap and heap[0][1] not in self._pending:
            heapq.heappop(heap)
        return heap[0][0] if heap else None
