"""The `usage` processor: the contract's face over `extract` (pure), `schema` (DDL + views) and
`calls` (the deduplicated calls, kept in step with the facts inside each commit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sessiond.processors.contract import PartlyMapped, Record, Rows, SessionFile, Tx, Unreadable
from sessiond.processors.reader import NOT_TURNS
from sessiond.processors.usage import calls
from sessiond.processors.usage.extract import USAGE_RECORDS, extract
from sessiond.processors.usage.plugins import CatalogError, load_catalog
from sessiond.processors.usage.prices import PriceError, load_prices
from sessiond.processors.usage.schema import MIGRATIONS, TABLES


class UsageOptionsError(TypeError):
    """A bad ``[processor.usage]`` option (a TypeError, so the registry reports it as config)."""


class UsageProcessor:
    """Tokens, tools, sessions and plugins from every transcript, as facts + SQL views.

    A `processors.contract.Merging` processor only for ``usage_calls``: the facts are written
    as extracted; ``merge`` stores the calls they win and ``after_delete`` re-picks the calls of
    deleted records (``usage_calls`` is shared across files, so it is not in ``tables``).

    Options (``[processor.usage]``): ``prices`` -- a price file replacing the packaged table;
    ``plugin_catalog`` -- a TOML file marking plugin prefixes curated or community. Both are
    read by reports at query time; the processor only checks them at start, so a typo fails
    the daemon's start instead of a report later.
    """

    name = "usage"
    version = 2  # 2: a usage ccusage would not count is not counted either, and is reported (`valid`)
    interval = 0.0
    tables: Sequence[str] = TABLES
    shared_tables = (calls.CALLS,)
    # extract reads user and assistant records -- and a usage on any record, as ccusage counts it,
    # so a summary's line (small; none carries a usage in practice) is read too
    skip_prefixes = tuple(p for p in NOT_TURNS if p != b'{"type":"summary"')
    migrations: Sequence[str] = MIGRATIONS
    report = "sessiond.processors.usage.report"  # sessiond report usage

    def __init__(self, *, prices: str | None = None, plugin_catalog: str | None = None) -> None:
        try:
            self.prices = load_prices(Path(prices) if prices else None)
            self.catalog = load_catalog(Path(plugin_catalog) if plugin_catalog else None)
        except (PriceError, CatalogError) as exc:
            raise UsageOptionsError(str(exc)) from None

    def wants(self, file: SessionFile) -> bool:
        return True

    def process(self, file: SessionFile, records: Sequence[Record]) -> Mapping[str, Rows]:
        invalid: list[Unreadable] = []
        rows = extract(file, records, invalid)
        if invalid:  # each is a bad line of ours (``line.invalid``); the rows of the rest commit
            raise PartlyMapped(rows, invalid)
        return rows

    def merge(self, tx: Tx, rows: Mapping[str, Rows]) -> Mapping[str, Rows]:
        records = rows.get(USAGE_RECORDS, ())
        if not records:
            return rows
        return {**rows, calls.CALLS: calls.merge(tx, records)}

    def after_delete(self, tx: Tx, files: Sequence[str]) -> None:
        calls.after_delete(tx, files)
