"""Prometheus metrics: counters read from the workers at scrape time, plus two live series.

Nothing on the hot path but a histogram observation per commit and a counter per debounce
release; everything else is collected from the service's own state when scraped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from sessiond.daemon.status import files_table, wanted
from sessiond.state.store import Store


class _ServiceCollector(Collector):
    def __init__(self, service: Any) -> None:
        self._service = service
        # The last scan's files as the Arrow tables `Store.progress` joins with, per processor:
        # rebuilt only when a scan replaced the index (the index object, held so its id stays).
        self._tables_of: tuple[object, dict[str, pa.Table]] | None = None

    def describe(self) -> list[Metric]:
        return []  # `register` would otherwise call `collect` (queries) just to learn names

    def _tables(self, svc: Any) -> dict[str, pa.Table]:
        index = svc.scanner.index
        if self._tables_of is None or self._tables_of[0] is not index:
            keys = wanted(svc.processors, index)
            self._tables_of = (index, {n: files_table(index, k) for n, k in keys.items()})
        return self._tables_of[1]

    def collect(self) -> Iterator[Metric]:
        svc = self._service
        per_processor = {
            "files": ("sessiond_files_processed", "Files passes committed", "processed"),
            "bytes": ("sessiond_bytes_processed", "Bytes of complete lines consumed", "bytes"),
            "lines": ("sessiond_lines_processed", "Lines consumed", "lines"),
            "items": ("sessiond_items_extracted", "Output rows committed", "items_extracted"),
            "errors": ("sessiond_errors", "Processor, I/O and commit failures", "errors"),
            "bad": ("sessiond_bad_lines", "Malformed, oversize, unreadable or invalid lines skipped", "bad_lines"),
        }
        families = {
            key: CounterMetricFamily(name, doc, labels=["processor"])
            for key, (name, doc, _) in per_processor.items()
        }
        parked = GaugeMetricFamily("sessiond_files_parked", "Files parked after max_attempts",
                                   labels=["processor"])
        behind = GaugeMetricFamily("sessiond_bytes_behind",
                                   "Bytes not yet consumed, as of the last scan", labels=["processor"])
        depth = GaugeMetricFamily("sessiond_queue_depth", "Files waiting in the work queue",
                                  labels=["processor"])
        tables = self._tables(svc)
        store = Store(svc.reader())
        for name, worker in svc.workers.items():
            for key, (_, _, attr) in per_processor.items():
                families[key].add_metric([name], getattr(worker.stats, attr))
            progress = store.progress(name, worker.processor.version, tables[name])
            parked.add_metric([name], progress["files_parked"])
            behind.add_metric([name], progress["bytes_behind"])
            depth.add_metric([name], len(svc.queues[name]))
        yield from families.values()
        yield from (parked, behind, depth)
        scan = svc.last_scan
        yield GaugeMetricFamily("sessiond_scan_duration_seconds", "Duration of the last full scan",
                                value=scan.get("seconds", 0.0))
        yield GaugeMetricFamily("sessiond_scan_files", "Session files seen by the last scan",
                                value=scan.get("files", 0))
        yield CounterMetricFamily("sessiond_scan_missed_by_events",
                                  "Changes found by scans that no watcher event announced",
                                  value=svc.missed_total)
        yield CounterMetricFamily("sessiond_scans", "Full scans run", value=svc.scans_total)
        yield GaugeMetricFamily("sessiond_debounce_pending", "Files waiting to settle",
                                value=len(svc.debouncer))
        yield GaugeMetricFamily("sessiond_watcher_unwatched_folders",
                                "Folders inotify could not watch (the watch limit): scanned instead",
                                value=len(svc.coverage.missing))
        yield CounterMetricFamily("sessiond_watcher_overflows",
                                  "Overflows of the kernel's inotify event queue",
                                  value=svc.overflows)


class Metrics:
    def __init__(self, service: Any) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.commit_seconds = Histogram(
            "sessiond_commit_seconds", "Time to commit one batch (outputs + cursors)",
            ["processor"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.debounce_releases = Counter(
            "sessiond_debounce_releases", "Files released by the debouncer", registry=self.registry
        )
        self.registry.register(_ServiceCollector(service))

    def render(self) -> bytes:
        return generate_latest(self.registry)
