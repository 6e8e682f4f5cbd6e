"""The dispatcher: a changed file goes into the queue of every processor that wants it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sessiond.daemon.workqueue import WorkQueue
from sessiond.processors.contract import Processor, SessionFile


class Dispatcher:
    def __init__(self, routes: Sequence[tuple[Processor, WorkQueue]]) -> None:
        self._routes = list(routes)

    def dispatch(self, files: Iterable[SessionFile]) -> int:
        """Queue each file for the processors that want it; returns the number of puts."""
        puts = 0
        for file in files:
            for processor, queue in self._routes:
                if processor.wants(file):
                    queue.put(file)
                    puts += 1
        return puts
