"""The `usage` processor: the contract's face over `extract` (pure) and `schema` (DDL + views)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from processors.contract import Record, Rows, SessionFile
from processors.usage.extract import extract
from processors.usage.plugins import CatalogError, load_catalog
from processors.usage.prices import PriceError, load_prices
from processors.usage.schema import MIGRATIONS, TABLES


class UsageOptionsError(TypeError):
    """A bad ``[processor.usage]`` option (a TypeError, so the registry reports it as config)."""


class UsageProcessor:
    """Tokens, tools, sessions and plugins from every transcript, as facts + SQL views.

    Options (``[processor.usage]``): ``prices`` -- a price file replacing the packaged table;
    ``plugin_catalog`` -- a TOML file marking plugin prefixes curated or community. Both are
    read by reports at query time; the processor only checks them at start, so a typo fails
    the daemon's start instead of a report later.
    """

    name = "usage"
    version = 1
    interval = 0.0
    tables: Sequence[str] = TABLES
    migrations: Sequence[str] = MIGRATIONS

    def __init__(self, *, prices: str | None = None, plugin_catalog: str | None = None) -> None:
        try:
            self.prices = load_prices(Path(prices) if prices else None)
            self.catalog = load_catalog(Path(plugin_catalog) if plugin_catalog else None)
        except (PriceError, CatalogError) as exc:
            raise UsageOptionsError(str(exc)) from None

    def wants(self, file: SessionFile) -> bool:
        return True

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        return extract(file, records)
