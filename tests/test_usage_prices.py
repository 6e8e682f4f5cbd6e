"""Prices and plugin attribution: pure lookups, the packaged table, operator files.

The packaged table is checked against every ``claude-*`` entry of LiteLLM's price file, as
recorded in `tests/fixtures/litellm_claude_prices.json` (litellm 1.101.2 -- the snapshot
ccusage 20.0.24 embeds -- and 1.110.2; re-record with `python tests/fixtures/record.py
litellm WHEEL...`), and against what ccusage 20.0.24 charges for the older names LiteLLM no
longer lists.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest

from sessiond.processors.contract import Processor
from sessiond.processors.usage import UsageProcessor
from sessiond.processors.usage.plugins import Catalog, CatalogError, load_catalog, plugin_of
from sessiond.processors.usage.prices import PriceError, load_prices, normalize, period_rows

DAY = dt.date(2026, 2, 10)
LITELLM = json.loads(
    (Path(__file__).resolve().parent / "fixtures" / "litellm_claude_prices.json").read_text())


@pytest.mark.parametrize(("model", "name"), [
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("claude-sonnet-4-5-20250929[1m]", "claude-sonnet-4-5"),
    ("claude-sonnet-4-5[1m]", "claude-sonnet-4-5"),
    ("claude-opus-4-1@20250805", "claude-opus-4-1"),
    ("claude-haiku-4-5", "claude-haiku-4-5"),
    (" claude-3-5-haiku-20241022 ", "claude-3-5-haiku"),
])
def test_normalize_drops_context_and_date_suffixes(model: str, name: str) -> None:
    assert normalize(model) == name


@pytest.mark.parametrize(("model", "figures"), [
    # (input, output, cache write 5m, cache write 1h, cache read) per the reference table
    ("claude-opus-4-5-20251101", (5, 25, 6.25, 10, 0.5)),
    ("claude-opus-4-6", (5, 25, 6.25, 10, 0.5)),
    ("claude-opus-4-7[1m]", (5, 25, 6.25, 10, 0.5)),
    ("claude-opus-4-20250514", (15, 75, 18.75, 30, 1.5)),
    ("claude-opus-4-1-20250805", (15, 75, 18.75, 30, 1.5)),
    ("claude-sonnet-4-20250514", (3, 15, 3.75, 6, 0.3)),
    ("claude-sonnet-4-5-20250929[1m]", (3, 15, 3.75, 6, 0.3)),
    ("claude-sonnet-4-6", (3, 15, 3.75, 6, 0.3)),
    ("claude-3-7-sonnet-20250219", (3, 15, 3.75, 6, 0.3)),
    ("claude-haiku-4-5-20251001", (1, 5, 1.25, 2, 0.1)),
    ("claude-3-5-haiku-20241022", (0.8, 4, 1.0, 1.6, 0.08)),
    ("claude-sonnet-5", (2, 10, 2.5, 4, 0.2)),
    ("claude-opus-5-20260301", (5, 25, 6.25, 10, 0.5)),
    # the names of #14's transcripts: what ccusage 20.0.24 --offline charges for them (measured
    # with one 1M-token record per model and token kind)
    ("claude-3-sonnet-20240229", (3, 15, 3.75, 6, 0.3)),
    ("claude-3-opus", (15, 75, 18.75, 30, 1.5)),
    ("claude-3-opus-20240229", (15, 75, 18.75, 30, 1.5)),
    ("claude-3-haiku", (0.25, 1.25, 0.3, 0.5, 0.03)),
    ("claude-3-5-sonnet", (3, 15, 3.75, 6, 0.3)),
    ("claude-3-5-sonnet-20240620", (3, 15, 3.75, 6, 0.3)),
    ("claude-3-5-sonnet-20241022", (3, 15, 3.75, 6, 0.3)),
    ("claude-4-opus-20250514", (15, 75, 18.75, 30, 1.5)),
    ("claude-opus-4-8", (5, 25, 6.25, 10, 0.5)),
    ("claude-opus-4-0", (15, 75, 18.75, 30, 1.5)),
])
def test_packaged_table_prices_the_reference_models(
    model: str, figures: tuple[float, ...]
) -> None:
    price = load_prices().lookup(model, DAY)
    assert price is not None
    got = (price.input, price.output, price.cache_write_5m, price.cache_write_1h, price.cache_read)
    assert got == pytest.approx(figures)


@pytest.mark.parametrize("model", [
    "gpt-5", "claude-opus-45", "claude-sonnet", "claude-unknown-9", "<synthetic>", "",
    # newer minor versions are not their elders (claude-opus-4-5 cost a third of claude-opus-4)
    "claude-opus-4-9", "claude-sonnet-4-7", "claude-haiku-4-6", "claude-opus-4-10",
    "claude-opus-latest",
])
def test_unknown_models_are_unpriced(model: str) -> None:
    table = load_prices()
    assert table.lookup(model, DAY) is None
    assert period_rows(table, [model]) == []


@pytest.mark.parametrize("model", sorted(LITELLM["models"]))
def test_every_litellm_claude_model_is_priced_the_same(model: str) -> None:
    """Input, output, cache write (5m; 1h where LiteLLM lists it, else ccusage's 2 x input)
    and cache read; LiteLLM's long-context tiers are not modelled (see prices.toml)."""
    entry: dict[str, Any] = LITELLM["models"][model]
    price = load_prices().lookup(model, DAY)
    if "input_cost_per_token" not in entry:  # an alias LiteLLM leaves unpriced: -latest
        assert price is None
        return
    assert price is not None, f"{model} is unpriced"
    usd = {k: v * 1e6 for k, v in entry.items() if isinstance(v, float | int)}
    assert (price.input, price.output, price.cache_write_5m, price.cache_write_1h,
            price.cache_read) == pytest.approx((
        usd["input_cost_per_token"], usd["output_cost_per_token"],
        usd["cache_creation_input_token_cost"],
        usd.get("cache_creation_input_token_cost_above_1hr", 2 * usd["input_cost_per_token"]),
        usd["cache_read_input_token_cost"]), rel=1e-9)


def test_the_litellm_fixture_holds_both_files_claude_models() -> None:
    assert LITELLM["versions"] == ["1.101.2", "1.110.2"]
    seen = {v for m in LITELLM["models"].values() for v in m["litellm"]}
    assert seen == set(LITELLM["versions"])
    assert {"claude-3-opus-20240229", "claude-3-haiku-20240307", "claude-opus-4-8",
            "claude-sonnet-5-5"} <= set(LITELLM["models"])


def test_a_family_prefix_prices_its_versions_a_versioned_one_only_its_own(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text('[[price]]\nmodels = ["acme"]\ninput = 1\noutput = 1\n'
                 '[[price]]\nmodels = ["acme-2"]\ninput = 2\noutput = 2\n')
    table = load_prices(f)
    assert [table.prefix_for(m) for m in ("acme-1", "acme-2", "acme-2-0", "acme-2-1",
                                          "acme-2-20260101", "acme-2-v1:0", "acme-2-fast")] == [
        "acme", "acme-2", "acme-2", "acme", "acme-2", "acme-2", "acme-2"]


def test_a_price_file_is_parsed_once_per_version_and_again_once_changed(tmp_path: Path) -> None:
    """A running daemon's report asks for the table on every request: an unchanged file is
    not parsed again, and an edited one (a new modification time or size) is."""
    f = tmp_path / "p.toml"
    f.write_text('[[price]]\nmodels = ["acme"]\ninput = 1\noutput = 1\n')
    first = load_prices(f)
    assert load_prices(f) is first and load_prices() is load_prices()
    f.write_text('[[price]]\nmodels = ["acme"]\ninput = 3\noutput = 1\n')  # same size
    stat = f.stat()
    os.utime(f, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    again = load_prices(f)
    assert again is not first
    assert [p.input for p in first.prices] == [1.0] and [p.input for p in again.prices] == [3.0]
    f.write_text("not toml [")
    with pytest.raises(PriceError, match="invalid TOML"):
        load_prices(f)


def test_price_cost_splits_cache_writes_by_ttl() -> None:
    price = load_prices().lookup("claude-opus-4-1", DAY)
    assert price is not None
    cost = price.cost(input=1_000_000, output=0, cache_5m=1_000_000, cache_1h=1_000_000,
                      cache_read=1_000_000)
    assert cost == pytest.approx(15 + 18.75 + 30 + 1.5)


def test_operator_file_dated_prices_and_cache_defaults(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text(
        'as_of = 2026-03-01\n'
        '[[price]]\nmodels = ["acme-1"]\ninput = 2.0\noutput = 8.0\n'
        '[[price]]\nmodels = "acme-1"\ninput = 1.0\noutput = 4.0\nsince = 2026-02-15\n'
    )
    table = load_prices(f)
    assert table.as_of == "2026-03-01" and table.source == str(f)
    early, late = table.lookup("acme-1-20260101", DAY), table.lookup("acme-1", dt.date(2026, 2, 15))
    assert early is not None and late is not None
    assert (early.input, early.cache_write_5m, early.cache_write_1h, early.cache_read) == (
        pytest.approx((2.0, 2.5, 4.0, 0.2)))
    assert late.input == 1.0
    rows = period_rows(table, ["acme-1-x"])
    assert [(r["model"], r["since"], r["until"], r["input"]) for r in rows] == [
        ("acme-1-x", None, dt.date(2026, 2, 15), 2.0),
        ("acme-1-x", dt.date(2026, 2, 15), None, 1.0),
    ]
    assert table.lookup("claude-sonnet-4-5", DAY) is None  # replaces, not merges


@pytest.mark.parametrize(("text", "message"), [
    ("", "no \\[\\[price\\]\\] entries"),
    ("[[price]]\nmodels = []\ninput = 1\noutput = 1\n", "`models`"),
    ("[[price]]\nmodels = ['x']\noutput = 1\n", "`input`"),
    ("[[price]]\nmodels = ['x']\ninput = -1\noutput = 1\n", "`input`"),
    ("[[price]]\nmodels = ['x']\ninput = 1\noutput = 'a'\n", "`output`"),
    ("[[price]]\nmodels = ['x']\ninput = 1\noutput = 1\nsince = 'soon'\n", "`since`"),
    ("[[price]]\nmodels = ['x', 'x-20250101']\ninput = 1\noutput = 1\n", "twice"),
    ("not toml [", "invalid TOML"),
])
def test_bad_price_files_are_refused_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    f = tmp_path / "p.toml"
    f.write_text(text)
    with pytest.raises(PriceError, match=message):
        load_prices(f)
    with pytest.raises(PriceError, match="price file"):
        load_prices(tmp_path / "missing.toml")


@pytest.mark.parametrize(("name", "plugin"), [
    ("acme-tools:deploy", "acme-tools"), ("pdf", None), (None, None), ("", None),
    (":x", None), ("x:", None), ("a:b:c", "a"),
])
def test_plugin_of_prefix(name: str | None, plugin: str | None) -> None:
    assert plugin_of(name) == plugin


def test_catalog_tiers(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('[plugins]\nacme-tools = "curated"\nfun = "community"\n')
    catalog = load_catalog(f)
    assert catalog.tier("acme-tools") == "curated"
    assert catalog.tier("fun") == "community"
    assert catalog.tier("elsewhere") == "community"
    assert catalog.tier(None) == "builtin"
    assert load_catalog(None) == Catalog()
    f.write_text('[plugins]\nacme-tools = "gold"\n')
    with pytest.raises(CatalogError, match="gold"):
        load_catalog(f)
    f.write_text('plugins = 3\n')
    with pytest.raises(CatalogError, match="must be a table"):
        load_catalog(f)


def test_processor_satisfies_the_contract_and_loads_operator_files(tmp_path: Path) -> None:
    prices, catalog = tmp_path / "p.toml", tmp_path / "c.toml"
    prices.write_text('[[price]]\nmodels = ["m"]\ninput = 1\noutput = 2\n')
    catalog.write_text('[plugins]\nacme = "curated"\n')
    p = UsageProcessor(prices=str(prices), plugin_catalog=str(catalog))
    assert isinstance(p, Processor)
    assert p.prices.source == str(prices) and p.catalog.tier("acme") == "curated"
