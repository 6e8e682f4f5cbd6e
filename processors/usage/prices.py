"""Prices: the dated price table (package data, or an operator's file) and model-name matching.

The table is data, not code: `prices.toml` beside this module documents the format. Matching is
pure: `normalize` drops a ``[1m]``-style suffix and a date suffix, then the longest listed
prefix that equals the name or is followed by ``-`` wins -- unless the prefix ends in a version
and a minor version number follows: ``claude-opus-4-9`` is a newer model than ``claude-opus-4``
(and the 4.5 opus cost a third of the 4.1), so it stays unpriced, and is named as such, until
the table lists it; a bare family prefix (``acme``) still prices ``acme-2``.
Reports turn the matches for the models actually seen into a small SQL table (`periods`) and
price every call in DuckDB.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

PACKAGED = "prices.toml"

_SUFFIX = re.compile(r"\[[^\]]*\]$")  # "[1m]": a context-window variant, priced as the base
_DATE = re.compile(r"[-@]\d{8}$")  # "-20250929" (Anthropic API) or "@20250929" (Vertex)
_VERSIONED = re.compile(r"-\d{1,2}$")  # "claude-opus-4": a prefix that names one version
_MINOR = re.compile(r"[1-9]\d?(?:-|$)")  # "9" in "claude-opus-4-9"; not "0", not a date

# Defaults where a price entry gives no cache figure (multiples of the input price).
CACHE_5M, CACHE_1H, CACHE_READ = 1.25, 2.0, 0.1


class PriceError(ValueError):
    """The price file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens for one model prefix, in force from ``since`` (None: always)."""

    prefix: str
    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float
    since: dt.date | None = None

    def cost(self, *, input: int, output: int, cache_5m: int, cache_1h: int,
             cache_read: int) -> float:
        return (input * self.input + output * self.output + cache_5m * self.cache_write_5m
                + cache_1h * self.cache_write_1h + cache_read * self.cache_read) / 1e6


@dataclass(frozen=True, slots=True)
class Period:
    """One price of one model over ``[since, until)`` (open ends are None)."""

    model: str
    since: dt.date | None
    until: dt.date | None
    price: Price


@dataclass(frozen=True, slots=True)
class PriceTable:
    as_of: str
    source: str
    prices: tuple[Price, ...]

    def prefix_for(self, model: str) -> str | None:
        """The longest listed prefix that matches the normalised model name, if any."""
        name = normalize(model)
        best: str | None = None
        for p in self.prices:
            prefix = p.prefix
            if _matches(name, prefix) and (best is None or len(prefix) > len(best)):
                best = prefix
        return best

    def periods(self, model: str) -> list[Period]:
        """The model's prices over time (empty when the model is unpriced)."""
        prefix = self.prefix_for(model)
        if prefix is None:
            return []
        mine = sorted(
            (p for p in self.prices if p.prefix == prefix),
            key=lambda p: p.since or dt.date.min,
        )
        out: list[Period] = []
        for i, p in enumerate(mine):
            until = mine[i + 1].since if i + 1 < len(mine) else None
            out.append(Period(model, p.since, until, p))
        return out

    def lookup(self, model: str, day: dt.date) -> Price | None:
        """The price of a model on a UTC day, or None when it is unpriced that day."""
        for period in self.periods(model):
            if (period.since is None or day >= period.since) and (
                period.until is None or day < period.until
            ):
                return period.price
        return None


def _matches(name: str, prefix: str) -> bool:
    """``prefix`` names the model ``name``: equal, or followed by ``-`` and a variant
    (``-v1:0``, ``-0``, a date left inside the name) that is not a newer minor version of a
    versioned prefix."""
    if name == prefix:
        return True
    if not name.startswith(prefix + "-"):
        return False
    return not (_VERSIONED.search(prefix) and _MINOR.match(name, len(prefix) + 1))


def normalize(model: str) -> str:
    """``claude-sonnet-4-5-20250929[1m]`` -> ``claude-sonnet-4-5``."""
    name = _SUFFIX.sub("", model.strip())
    return _DATE.sub("", name)


def period_rows(table: PriceTable, models: Iterable[str]) -> list[dict[str, Any]]:
    """Rows for the report's SQL price table: one per (model, price period)."""
    rows: list[dict[str, Any]] = []
    for model in models:
        for period in table.periods(model):
            p = period.price
            rows.append({
                "model": model, "since": period.since, "until": period.until,
                "input": p.input, "output": p.output, "cache_write_5m": p.cache_write_5m,
                "cache_write_1h": p.cache_write_1h, "cache_read": p.cache_read,
            })
    return rows


def load_prices(path: str | Path | None = None) -> PriceTable:
    """The packaged table, or the operator's file at ``path``. Parsed once per version of the
    file (its modification time, size and inode): a running daemon's reports ask for it on
    every request, and parsing the packaged table costs ~3 ms."""
    if path is None:
        return _packaged()
    try:
        st = os.stat(path)
    except OSError as exc:
        raise PriceError(f"price file {path}: {exc.strerror or exc}") from None
    return _from_file(str(path), (st.st_mtime_ns, st.st_size, st.st_ino))


@functools.cache
def _packaged() -> PriceTable:
    try:
        packaged = resources.files(__package__ or "sessiond.processors.usage").joinpath(PACKAGED)
        data = tomllib.loads(packaged.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:  # a broken install
        raise PriceError(f"packaged {PACKAGED}: {exc}") from None
    return _parse(f"package:{PACKAGED}", data)


@functools.lru_cache(maxsize=16)
def _from_file(path: str, version: tuple[int, int, int]) -> PriceTable:
    return _parse(path, toml_file(path, PriceError, "price file"))


def toml_file(path: str | Path, error: type[Exception], what: str) -> dict[str, Any]:
    """A TOML file's tables; what keeps it from being read raises ``error``, in one line that
    names it as ``what`` (the price file, the plugin catalog)."""
    try:
        with Path(path).open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise error(f"{what} {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what} {path}: invalid TOML: {exc}") from None


def _parse(source: str, data: Mapping[str, Any]) -> PriceTable:
    entries = data.get("price")
    if not isinstance(entries, list) or not entries:
        raise PriceError(f"{source}: no [[price]] entries")
    prices: list[Price] = []
    seen: set[tuple[str, dt.date | None]] = set()
    for n, entry in enumerate(entries, start=1):
        where = f"{source}: [[price]] #{n}"
        if not isinstance(entry, dict):
            raise PriceError(f"{where}: must be a table")
        models = entry.get("models")
        if isinstance(models, str):
            models = [models]
        if not isinstance(models, list) or not models or not all(
            isinstance(m, str) and m.strip() for m in models
        ):
            raise PriceError(f"{where}: `models` must be a non-empty list of names")
        since = entry.get("since")
        if since is not None and not (isinstance(since, dt.date) and not isinstance(since, dt.datetime)):
            raise PriceError(f"{where}: `since` must be a date (YYYY-MM-DD)")
        base = _number(where, entry, "input")
        figures = {
            "output": _number(where, entry, "output"),
            "cache_write_5m": _number(where, entry, "cache_write_5m", base * CACHE_5M),
            "cache_write_1h": _number(where, entry, "cache_write_1h", base * CACHE_1H),
            "cache_read": _number(where, entry, "cache_read", base * CACHE_READ),
        }
        for model in models:
            prefix = normalize(model)
            if (prefix, since) in seen:
                raise PriceError(f"{where}: {prefix!r} is listed twice for the same `since`")
            seen.add((prefix, since))
            prices.append(Price(prefix=prefix, input=base, since=since, **figures))
    as_of = data.get("as_of")
    return PriceTable(as_of=str(as_of) if as_of is not None else "undated", source=source,
                      prices=tuple(prices))


def _number(where: str, entry: Mapping[str, Any], key: str, default: float | None = None) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise PriceError(f"{where}: `{key}` must be a non-negative number, got {value!r}")
    return float(value)
