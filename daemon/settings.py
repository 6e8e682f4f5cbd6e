"""Settings: defaults < TOML file < ``SESSIOND_*`` environment < flags, resolved once, frozen.

Nothing below this module reads the environment or the config file; everything receives a
`Settings` (or the values it needs) as arguments. The sources are read and checked by
`daemon.config`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from socket import gethostname  # (not `import socket`: Settings has a field of that name)
from typing import Any

from sessiond.daemon.config import (
    DEFAULT_LOCK_WAIT,
    DEFAULT_STATE,
    SettingsError,
    resolve,
    socket_beside,
)


def _cpus() -> int:
    """CPUs this process may run on (a cgroup or affinity limit included)."""
    return len(os.sched_getaffinity(0))


@dataclass(frozen=True, slots=True)
class Settings:
    root: Path = Path("/data/user_sessions")
    state: Path = DEFAULT_STATE
    config: Path | None = None
    processors: tuple[str, ...] = ()  # empty = every installed processor
    settle: float = 0.25  # seconds a file must be quiet before it is processed ...
    # ... or this long after its first pending change, whichever comes first. Equal to settle
    # by default: a change is processed within 0.25 s, a burst inside that window coalesces
    # (a trailing-only wait put the p99 append latency at 0.52 s, vs 0.39 s, at 200/s).
    max_delay: float = 0.25
    scan_interval: float = 300.0
    # while some folders could not be watched (the inotify watch limit), scans run this often
    unwatched_scan_interval: float = 15.0
    watch: bool = True  # False: scans only (no inotify)
    # Diagnostic: the watcher runs but its events are ignored, so only scans find changes
    # (proves the scan catches what events miss; counted as missed_by_events).
    drop_events: bool = False
    max_attempts: int = 8  # processor failures on one file before it is parked
    backoff_base: float = 2.0
    backoff_cap: float = 3600.0
    max_line_bytes: int = 32 * 1024 * 1024
    pass_bytes: int = 16 * 1024 * 1024  # new bytes read from one file per pass (fairness)
    batch_files: int = 256  # files committed together in one transaction
    # cursors each processor keeps in memory (files appended to often stay; ~1 KB each): raise it
    # above the number of files written at once on a big server, so no append reloads its cursor
    cursor_cache: int = 4096
    # seconds an append may go on from the prefix hash state a worker kept, checking only the
    # first 4 KiB and the 64 KiB before the cursor; then the whole prefix is read again (see
    # daemon/prefixes.py). 0: every append re-reads the whole prefix
    verify_after: float = 60.0
    # Processes that parse for a batch with at least parse_min_bytes to read (a backfill);
    # 0 = parse in the worker threads only. Default: one per CPU, none on one CPU.
    parse_workers: int = field(default_factory=lambda: _cpus() if _cpus() > 1 else 0)
    parse_min_bytes: int = 8 * 1024 * 1024
    socket: Path | None = None  # control socket; default: sessiond.sock beside the state file
    metrics_port: int = 0  # also serve /metrics on 127.0.0.1:PORT (0 = only on the socket)
    lag_threshold: float = 600.0  # status is "degraded" when lag_seconds exceeds this
    # seconds the daemon waits for a short-lived reader (an offline `status`) to let go of the
    # state file before it gives up starting
    lock_wait: float = DEFAULT_LOCK_WAIT
    # DuckDB's memory limit: table pages stay cached until it is reached (DuckDB's own default,
    # 80 % of RAM, lets the daemon grow with its state file for weeks)
    memory_limit: str = "512MB"
    # Resident size at which the daemon restarts itself in place (the same pid; a clean stop,
    # then exec): DuckDB's native heap grows under steady commits and only closing the
    # database frees it (BENCHMARKS.md, bench/duckdb_growth.py). "0" = never.
    restart_rss: str = "1GB"
    # `sessiond sql`: a query is interrupted after sql_timeout seconds (0 = never) and answers
    # at most sql_max_rows rows (the rest is cut, and said so)
    sql_timeout: float = 30.0
    sql_max_rows: int = 10_000
    # Parquet snapshots of the public_* views under <publish_dir>/<view>/host=<publish_host>/,
    # written after commits, at most once per publish_interval seconds (None = not published).
    # publish_host names this daemon's snapshot: unique per daemon sharing a publish_dir.
    publish_dir: Path | None = None
    publish_interval: float = 300.0
    publish_host: str = field(default_factory=gethostname)
    log_level: str = "info"
    log_format: str = "auto"  # auto | json | console
    # per-processor tables from [processor.<name>]: `interval` plus the processor's own options
    processor_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def socket_path(self) -> Path:
        return self.socket if self.socket is not None else socket_beside(self.state)

    def interval_for(self, name: str, default: float) -> float:
        value = self.processor_options.get(name, {}).get("interval", default)
        return float(value)


def load_settings(
    flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """The settings `config.resolve` finds, over the defaults."""
    config, merged = resolve(flags, environ)
    settings = replace(Settings(), config=config, **merged)
    if "max_delay" not in merged and settings.max_delay < settings.settle:
        settings = replace(settings, max_delay=settings.settle)  # only settle was raised
    if settings.max_delay < settings.settle:
        raise SettingsError(
            f"max_delay ({settings.max_delay}) must not be shorter than settle ({settings.settle})"
        )
    return settings
