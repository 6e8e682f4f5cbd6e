"""What a `Merging` processor keeps of what it stored, so a live commit need not read it back.

The daemon's transaction offers ``memo`` (one dict per database in the process, shared by its
stores) and ``on_commit(fn)`` (``fn`` runs once the transaction has committed, never after a
rollback); they are not part of the contract (`contract.Tx`), so `kept` returns None for a
transaction without them and the processor reads the table as before. A `Kept` is bounded and
least-recently-used: a key not in it is simply read again, so forgetting is always safe, and a
processor changes it only through `on_commit` -- it then holds what the database holds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from sessiond.processors.contract import Tx

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """A bounded LRU map: at most ``items`` keys, and (with ``size``) at most ``chars`` in all."""

    def __init__(self, items: int, *, chars: int = 0,
                 size: Callable[[V], int] | None = None) -> None:
        self.items, self.chars, self._sizeof = items, chars, size
        self._lock = threading.Lock()
        self._values: OrderedDict[K, V] = OrderedDict()
        self._size = 0

    def get(self, keys: Iterable[K]) -> dict[K, V]:
        """The values of the keys kept (each now the most recently used)."""
        with self._lock:
            out = {k: self._values[k] for k in keys if k in self._values}
            for k in out:
                self._values.move_to_end(k)
            return out

    def put(self, values: Mapping[K, V]) -> None:
        with self._lock:
            for k, v in values.items():
                self._pop(k)
                self._values[k] = v
                self._size += self._sizeof(v) if self._sizeof else 0
            while self._values and (len(self._values) > self.items
                                    or (self._sizeof and self._size > self.chars)):
                self._pop(next(iter(self._values)))

    def drop(self, keys: Iterable[K]) -> None:
        with self._lock:
            for k in keys:
                self._pop(k)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._size = 0

    def _pop(self, k: K) -> None:
        if k in self._values:
            gone = self._values.pop(k)
            self._size -= self._sizeof(gone) if self._sizeof else 0


def kept(tx: Tx, key: str, make: Callable[[], Kept[Any, Any]]) -> Kept[Any, Any] | None:
    """The database's `Kept` under ``key`` (made on first use), if ``tx`` offers a memo."""
    memo = getattr(tx, "memo", None)
    if not isinstance(memo, dict) or getattr(tx, "on_commit", None) is None:
        return None
    found = memo.get(key)
    if found is None:
        found = memo.setdefault(key, make())
    return found  # type: ignore[no-any-return]


def on_commit(tx: Tx, fn: Callable[[], None]) -> None:
    """``fn`` once ``tx`` has committed (a transaction `kept` found a memo in)."""
    tx.on_commit(fn)  # type: ignore[attr-defined]
