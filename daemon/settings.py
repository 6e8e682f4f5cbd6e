"""Settings: defaults < TOML file < ``SESSIOND_*`` environment < flags, resolved once, frozen.

Nothing below this module reads the environment or the config file; everything receives a
`Settings` (or the values it needs) as arguments.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from socket import gethostname  # (not `import socket`: Settings has a field of that name)
from typing import Any

DEFAULT_CONFIG = Path("/etc/sessiond/sessiond.toml")


def _cpus() -> int:
    """CPUs this process may run on (a cgroup or affinity limit included)."""
    return len(os.sched_getaffinity(0))


class SettingsError(Exception):
    """Bad configuration; the message is one line naming the key and the problem."""


@dataclass(frozen=True, slots=True)
class Settings:
    root: Path = Path("/data/user_sessions")
    state: Path = Path("/var/lib/sessiond/state.duckdb")
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
    lock_wait: float = 30.0
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
        return self.socket if self.socket is not None else self.state.parent / "sessiond.sock"

    def interval_for(self, name: str, default: float) -> float:
        value = self.processor_options.get(name, {}).get("interval", default)
        return float(value)


def _positive_float(key: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{key}: expected a number, got {value!r}") from None
    if number < 0:
        raise SettingsError(f"{key}: must not be negative, got {value!r}")
    return number


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise SettingsError(f"{key}: expected an integer, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{key}: expected an integer, got {value!r}") from None
    if number < 1:
        raise SettingsError(f"{key}: must be at least 1, got {value!r}")
    return number


def _count(key: str, value: Any) -> int:
    """An integer >= 0."""
    return 0 if value in (0, "0") else _positive_int(key, value)


_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def _size(key: str, value: Any) -> str:
    """A memory size as DuckDB takes it ("512MB", "2 GiB")."""
    if not isinstance(value, str) or not _SIZE.match(value):
        raise SettingsError(f"{key}: expected a size such as 512MB or 2GB, got {value!r}")
    return value.strip()


def _size_or_zero(key: str, value: Any) -> str:
    """A size, or 0 (off)."""
    return "0" if value in (0, "0") else _size(key, value)


_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def size_bytes(text: str) -> int:
    """Bytes of a size the settings accepted ("512MB", "1 GiB", "0")."""
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$", text)
    if match is None:
        raise ValueError(text)
    return int(float(match.group(1)) * _UNITS.get(match.group(2).lower() or "b", 1))


_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")


def _host(key: str, value: Any) -> str:
    """A host name as a snapshot's partition value (``host=<name>``): no ``/`` nor ``=``."""
    if not isinstance(value, str) or not _HOST.match(value):
        raise SettingsError(f"{key}: expected a host name (letters, digits, '.', '_', '-'), "
                            f"got {value!r}")
    return value


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{key}: expected true or false, got {value!r}")


def _path(key: str, value: Any) -> Path:
    if not isinstance(value, (str, Path)) or not str(value):
        raise SettingsError(f"{key}: expected a path, got {value!r}")
    return Path(os.path.abspath(Path(value).expanduser()))


def _port(key: str, value: Any) -> int:
    try:
        port = int(value) if not isinstance(value, bool) else -1
    except (TypeError, ValueError):
        port = -1
    if not 0 <= port <= 65535:
        raise SettingsError(f"{key}: expected a TCP port (0-65535), got {value!r}")
    return port


def _names(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{key}: expected a list of processor names, got {value!r}")
    return tuple(value)


def _choice(*allowed: str) -> Callable[[str, Any], str]:
    def convert(key: str, value: Any) -> str:
        text = str(value).lower()
        if text not in allowed:
            raise SettingsError(f"{key}: expected one of {', '.join(allowed)}, got {value!r}")
        return text

    return convert


_CONVERT: dict[str, Callable[[str, Any], Any]] = {
    "root": _path, "state": _path, "processors": _names,
    "settle": _positive_float, "max_delay": _positive_float, "scan_interval": _positive_float,
    "watch": _bool, "drop_events": _bool, "max_attempts": _positive_int, "backoff_base": _positive_float,
    "backoff_cap": _positive_float, "max_line_bytes": _positive_int, "pass_bytes": _positive_int,
    "batch_files": _positive_int, "cursor_cache": _positive_int,
    "verify_after": _positive_float,  # (0 allowed: "positive" here means not negative)
    "parse_workers": _count, "parse_min_bytes": _positive_int,
    "socket": _path, "metrics_port": _port,
    "lag_threshold": _positive_float, "lock_wait": _positive_float,
    "unwatched_scan_interval": _positive_float, "memory_limit": _size, "restart_rss": _size_or_zero,
    "sql_timeout": _positive_float, "sql_max_rows": _positive_int,
    "publish_dir": _path, "publish_interval": _positive_float, "publish_host": _host,
    "log_level": _choice("debug", "info", "warning", "error"),
    "log_format": _choice("auto", "json", "console"),
}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise SettingsError(f"config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path}: invalid TOML: {exc}") from None


def _from_mapping(source: str, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "processor":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise SettingsError(f"{source}: [processor.<name>] must be tables")
            for name, options in value.items():
                if "interval" in options:
                    _positive_float(f"processor.{name}.interval", options["interval"])
            out["processor_options"] = value
            continue
        if key not in _CONVERT:
            known = ", ".join(sorted(_CONVERT))
            raise SettingsError(f"{source}: unknown key {key!r} (known: {known}, [processor.NAME])")
        out[key] = _CONVERT[key](f"{source}: {key}", value)
    return out


# The original pipeline's scheduler variables: the processors' cadence when config sets none.
LEGACY_INTERVAL_ENV = {
    "usage": "SCHEDULER_USAGE_PROCESSOR_INTERVAL",
    "verification": "SCHEDULER_VERIFICATION_DETECTOR_INTERVAL",
}


def _legacy_intervals(merged: dict[str, Any], env: Mapping[str, str]) -> None:
    options = {k: dict(v) for k, v in merged.get("processor_options", {}).items()}
    for name, var in LEGACY_INTERVAL_ENV.items():
        if var in env and "interval" not in options.get(name, {}):
            options.setdefault(name, {})["interval"] = _positive_float(var, env[var])
    if options:
        merged["processor_options"] = options


def load_settings(
    flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Resolve settings: flags (non-None values) win over env, env over TOML, TOML over defaults.

    The config file is ``flags['config']``, else ``$SESSIOND_CONFIG``, else
    /etc/sessiond/sessiond.toml if it exists. ``$SESSION_DATA_DIR`` (the original pipeline's
    variable) sets the root when nothing else does.
    """
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    env = dict(os.environ if environ is None else environ)
    config_value = flags.pop("config", None) or env.get("SESSIOND_CONFIG")
    config = Path(config_value) if config_value else None
    if config is None and DEFAULT_CONFIG.is_file():
        config = DEFAULT_CONFIG
    merged: dict[str, Any] = {}
    if config is not None:
        merged.update(_from_mapping(str(config), _read_toml(config)))
    env_values = {
        name: env[f"SESSIOND_{name.upper()}"] for name in _CONVERT if f"SESSIOND_{name.upper()}" in env
    }
    merged.update(_from_mapping("environment", {k: v for k, v in env_values.items()}))
    if "root" not in merged and "root" not in flags and env.get("SESSION_DATA_DIR"):
        merged["root"] = _path("SESSION_DATA_DIR", env["SESSION_DATA_DIR"])
    _legacy_intervals(merged, env)
    merged.update(_from_mapping("flags", flags))
    settings = replace(Settings(), config=config, **merged)
    if "max_delay" not in merged and settings.max_delay < settings.settle:
        settings = replace(settings, max_delay=settings.settle)  # only settle was raised
    if settings.max_delay < settings.settle:
        raise SettingsError(
            f"max_delay ({settings.max_delay}) must not be shorter than settle ({settings.settle})"
        )
    return settings

