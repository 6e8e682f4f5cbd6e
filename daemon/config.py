"""The configuration's sources -- defaults < TOML file < ``SESSIOND_*`` environment < flags --
read and checked, without building `settings.Settings` from them.

Apart so that a command the running daemon answers (`daemon.cli`'s report) finds the daemon's
socket by the same rules while importing little: no dataclasses (whose ``inspect`` is ~10 ms
of a command's start), and ``tomllib`` only when there is a config file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = Path("/etc/sessiond/sessiond.toml")
DEFAULT_STATE = Path("/var/lib/sessiond/state.duckdb")
DEFAULT_LOCK_WAIT = 30.0


class SettingsError(Exception):
    """Bad configuration; the message is one line naming the key and the problem."""


def socket_beside(state: Path) -> Path:
    """The control socket's default place: beside the state file."""
    return state.parent / "sessiond.sock"


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
    import tomllib  # only with a config file (~8 ms of a command's start)

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


def resolve(
    flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Path | None, dict[str, Any]]:
    """The config file used and the values set (checked, converted): flags (non-None values)
    win over env, env over TOML; what none sets is left out (the defaults are `Settings`').

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
    return config, merged


def control(
    flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Path, Path, float]:
    """Where the running daemon answers, as `Settings` would say: (socket, state file,
    lock_wait)."""
    _, values = resolve(flags, environ)
    state = values.get("state", DEFAULT_STATE)
    socket = values.get("socket") or socket_beside(state)
    return socket, state, values.get("lock_wait", DEFAULT_LOCK_WAIT)
