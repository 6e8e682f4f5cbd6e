"""Tokens, estimated cost, tools and plugins from the usage facts (ccusage-compatible --json).

`--by day|month|session --json` print ccusage 20's shapes (as 20.0.24 writes them: each entry
names its group ``period``, its ``agent`` and ``metadata``) plus the keys older ccusage
versions had (``date``, ``month``, ``sessionId``, ``lastActivity`` as a day, ``projectPath``,
the ``sessions`` list), so consumers of either find what they read.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import duckdb
import orjson

from sessiond.processors.usage import queries
from sessiond.processors.usage.plugins import Catalog, CatalogError, load_catalog
from sessiond.processors.usage.prices import PriceError, PriceTable, load_prices, normalize
from sessiond.processors.usage.queries import ModelUsage, Window
from sessiond.processors.usage.table import render_table

EXIT_OK, EXIT_USAGE = 0, 2
BY = ("day", "month", "session", "user", "model", "tool", "plugin")
_TOKEN_KEYS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
# ccusage 20 reports several agents' logs; ours are Claude Code's only. A date report's entry
# is for "all" agents (those that had usage: `metadata.agents`), a session is one agent's.
_AGENTS = ["claude"]


def _day(text: str) -> dt.date:
    """YYYY-MM-DD (or ccusage's YYYYMMDD)."""
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", choices=BY, default="day",
                        help="group by UTC day (default), month, session, user, model; or show "
                             "daily tool usage (tool) or plugin item usage (plugin)")
    parser.add_argument("--user", help="only this user")
    parser.add_argument("--since", type=_day, help="first UTC day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--until", type=_day, help="last UTC day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--json", action="store_true",
                        help="machine-readable output (ccusage's shapes for day/month/session)")
    parser.add_argument("--prices", metavar="FILE",
                        help="price table (TOML) instead of [processor.usage] prices or the "
                             "packaged one")
    parser.add_argument("--plugin-catalog", metavar="FILE",
                        help="plugin tiers (TOML) instead of [processor.usage] plugin_catalog")


def run(con: duckdb.DuckDBPyConnection, args: argparse.Namespace, out: TextIO) -> int:
    """Write the report to ``out``; 0 on success, 2 on a usage or configuration problem.

    Problems are written to ``out`` too (one ``sessiond:`` line): when the daemon runs the
    report, ``out`` is the only stream that reaches the person who asked.
    """
    if not queries.has_usage_schema(con):
        return _refuse(out, "this state file has no usage data yet (run the daemon with the "
                            "usage processor)")
    window = Window(user=args.user, since=args.since, until=args.until)
    if window.since and window.until and window.since > window.until:
        return _refuse(out, "--since is after --until")
    try:
        options = _options(args)
        prices = load_prices(_path(args.prices or options.get("prices")))
        catalog = load_catalog(_path(args.plugin_catalog or options.get("plugin_catalog")))
    except (PriceError, CatalogError) as exc:
        return _refuse(out, str(exc))
    if args.by == "tool":
        report = _tools(con, window)
    elif args.by == "plugin":
        report = _plugins(con, window, catalog)
    else:
        queries.install_prices(con, prices)
        report = _tokens(con, args.by, window, prices)
    if args.json:
        out.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out.write(_text(args.by, report, prices))
    return EXIT_OK


def _refuse(out: TextIO, message: str) -> int:
    out.write(f"sessiond: {message}\n")
    return EXIT_USAGE


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """``[processor.usage]`` of the config, the same table the processor was built from."""
    from sessiond.daemon.settings import load_settings  # the CLI's own resolution of --config/env

    settings = load_settings({"config": getattr(args, "config", None)})
    return dict(settings.processor_options.get("usage", {}))


def _path(value: object) -> Path | None:
    return Path(str(value)) if value else None


# -- token reports (ccusage shapes) ---------------------------------------------------------


def _tokens(con: duckdb.DuckDBPyConnection, by: str, window: Window,
            prices: PriceTable) -> dict[str, Any]:
    rows = queries.model_usage(con, by, window)
    if by == "model":
        entries = [_model_entry(r) for r in sorted(rows, key=lambda r: (-r.cost, r.model or ""))]
    else:
        groups: dict[tuple[Any, ...], list[ModelUsage]] = {}
        for r in rows:
            groups.setdefault(r.key, []).append(r)
        session = _Sessions(con, window) if by == "session" else None
        entries = [_group_entry(by, key, parts, session) for key, parts in groups.items()]
        if by == "session":
            entries.sort(key=lambda e: (e["lastActivity"], e["user"], e["sessionId"] or ""))
    unpriced = sorted({r.model or "unknown" for r in rows if not r.priced})
    totals = _sums(rows)
    if unpriced:
        totals["unpricedModels"] = unpriced  # where ccusage 20 puts them (only when some are)
    name = {"day": "daily", "month": "monthly", "session": "session", "user": "users",
            "model": "models"}[by]
    report: dict[str, Any] = {name: entries}
    if by == "session":
        report["sessions"] = entries  # the list's name before ccusage 20: the same entries
    return {
        **report,
        "totals": totals,
        "unpricedModels": unpriced,
        "prices": {"asOf": prices.as_of, "source": prices.source},
    }


class _Sessions:
    """What a session entry needs beyond its tokens: the summary view's row and the time of
    its last usage record, fetched once per report."""

    def __init__(self, con: duckdb.DuckDBPyConnection, window: Window) -> None:
        self.details = queries.session_details(con, window)
        self.last_activity = queries.last_activity(con, window)


def _sums(parts: Iterable[ModelUsage]) -> dict[str, Any]:
    inp = outp = create = read = 0
    cost = 0.0
    for p in parts:
        inp += p.input_tokens
        outp += p.output_tokens
        create += p.cache_creation_tokens
        read += p.cache_read_tokens
        cost += p.cost
    return {"inputTokens": inp, "outputTokens": outp, "cacheCreationTokens": create,
            "cacheReadTokens": read, "totalTokens": inp + outp + create + read,
            "totalCost": cost}


def _breakdowns(parts: Sequence[ModelUsage]) -> list[dict[str, Any]]:
    """Per model, by cost; models of equal cost (the unpriced ones) in file order, as ccusage."""
    merged: dict[str, dict[str, Any]] = {}
    first: dict[str, tuple[str, int]] = {}
    for p in parts:
        name = p.model or "unknown"
        m = merged.setdefault(name, {"modelName": name, "inputTokens": 0, "outputTokens": 0,
                                     "cacheCreationTokens": 0, "cacheReadTokens": 0, "cost": 0.0})
        m["inputTokens"] += p.input_tokens
        m["outputTokens"] += p.output_tokens
        m["cacheCreationTokens"] += p.cache_creation_tokens
        m["cacheReadTokens"] += p.cache_read_tokens
        m["cost"] += p.cost
        if not p.priced:
            m["missingPricing"] = True  # ccusage 20's flag, only on the models it could not price
        first[name] = min(first.get(name, p.first_seen), p.first_seen)
    return sorted(merged.values(), key=lambda m: (-float(m["cost"]), first[m["modelName"]]))


def _models_used(parts: Sequence[ModelUsage], order: str = "time") -> list[str]:
    """The models in order of first use (``time``), of first appearance in the files
    (``files``: ccusage's session order) or by ``name`` (its date reports' order)."""
    if order == "name":
        return sorted({p.model for p in parts if p.model is not None})
    if order == "files":
        ordered = sorted(parts, key=lambda p: p.first_seen)
    else:
        ordered = sorted(parts, key=lambda p: (p.first_at is None, p.first_at or 0.0))
    seen: dict[str, None] = {}
    for p in ordered:
        if p.model is not None:
            seen.setdefault(p.model)
    return list(seen)


def _group_entry(by: str, key: tuple[Any, ...], parts: Sequence[ModelUsage],
                 sessions: _Sessions | None) -> dict[str, Any]:
    sums = _sums(parts)
    body = {k: sums[k] for k in (*_TOKEN_KEYS, "totalTokens", "totalCost")}
    dated = by in ("day", "month")
    order = "name" if dated else "files" if by == "session" else "time"
    common = {"modelsUsed": _models_used(parts, order), "modelBreakdowns": _breakdowns(parts)}
    if dated:
        old = "date" if by == "day" else "month"
        return {"period": key[0], old: key[0], "agent": "all",
                "metadata": {"agents": list(_AGENTS)}, **body, **common}
    if by == "user":
        return {"user": key[0], **body, **common}
    assert sessions is not None
    user, session = key
    last = max((p.last_day for p in parts if p.last_day is not None), default="")
    info = sessions.details.get((user, session), {})
    return {
        "period": session, "sessionId": session, "agent": _AGENTS[0],
        "metadata": {"lastActivity": sessions.last_activity.get((user, session))},
        **body,
        "lastActivity": last,
        **common,
        "projectPath": info.get("project_path") or "Unknown Project",
        # beyond ccusage: who, and the original pipeline's session summary
        "user": user,
        "summary": _summary(info),
    }


def _summary(info: dict[str, Any]) -> dict[str, Any]:
    if not info:
        return {}
    return {
        "startedAt": info.get("started_at"), "endedAt": info.get("ended_at"),
        "wallSeconds": round(float(info.get("wall_seconds") or 0), 3),
        "activeSeconds": round(float(info.get("active_seconds") or 0), 3),
        "userMessages": info.get("user_messages"),
        "assistantMessages": info.get("assistant_messages"),
        "toolCalls": info.get("tool_calls"), "toolErrors": info.get("tool_errors"),
        "skills": info.get("skills"), "subagents": info.get("subagents"),
        "mcpCalls": info.get("mcp_calls"), "slashCommands": info.get("slash_commands"),
        "distinctTools": info.get("distinct_tools"), "primaryModel": info.get("primary_model"),
    }


def _model_entry(r: ModelUsage) -> dict[str, Any]:
    return {"model": r.model or "unknown", "inputTokens": r.input_tokens,
            "outputTokens": r.output_tokens, "cacheCreationTokens": r.cache_creation_tokens,
            "cacheReadTokens": r.cache_read_tokens, "totalTokens": r.total_tokens,
            "totalCost": r.cost, "priced": r.priced}


# -- tool and plugin reports ------------------------------------------------------------------


def _tools(con: duckdb.DuckDBPyConnection, window: Window) -> dict[str, Any]:
    rows = queries.daily_tools(con, window)
    for r in rows:
        r["day"] = r["day"].isoformat() if r["day"] is not None else None
    return {
        "tools": rows,
        "totals": {"invocations": sum(r["invocations"] for r in rows),
                   "error_count": sum(r["error_count"] for r in rows)},
    }


def _plugins(con: duckdb.DuckDBPyConnection, window: Window, catalog: Catalog) -> dict[str, Any]:
    rows = queries.plugin_items(con, window)
    for r in rows:
        r["tier"] = catalog.tier(r["plugin"])
    return {
        "items": rows,
        "totals": {"invocations": sum(r["invocations"] for r in rows),
                   "error_count": sum(r["error_count"] for r in rows)},
    }


# -- human output -----------------------------------------------------------------------------


def _text(by: str, report: dict[str, Any], prices: PriceTable) -> str:
    if by == "tool":
        return render_table(
            ("Day", "Tool", "Source", "Calls", "Errors", "Users", "Sessions"),
            [(r["day"] or "?", r["tool_name"], r["source"], r["invocations"], r["error_count"],
              r["distinct_users"], r["distinct_sessions"]) for r in report["tools"]],
            total=("Total", "", "", report["totals"]["invocations"],
                   report["totals"]["error_count"], "", ""),
        )
    if by == "plugin":
        return render_table(
            ("Plugin", "Tier", "Type", "Item", "Uses", "Errors", "Users", "Sessions"),
            [(r["plugin"] or "-", r["tier"], r["item_type"], r["item_name"], r["invocations"],
              r["error_count"], r["distinct_users"], r["distinct_sessions"])
             for r in report["items"]],
            total=("Total", "", "", "", report["totals"]["invocations"],
                   report["totals"]["error_count"], "", ""),
        )
    name, label = {"day": ("daily", "Date"), "month": ("monthly", "Month"),
                   "session": ("session", "Session"), "user": ("users", "User"),
                   "model": ("models", "Model")}[by]
    head = (label, "Priced" if by == "model" else "Models", "Input", "Output", "Cache Create", "Cache Read", "Total Tokens",
            "Cost (USD)")
    rows = []
    for e in report[name]:
        first = {"day": e.get("date"), "month": e.get("month"), "user": e.get("user"),
                 "model": e.get("model"),
                 "session": f"{e.get('user')}/{e.get('sessionId')}"}[by]
        models = ", ".join(dict.fromkeys(_short(m) for m in e.get("modelsUsed", ()))) if by != "model" else (
            "yes" if e.get("priced") else "NO")
        rows.append((first, models, *(e[k] for k in _TOKEN_KEYS), e["totalTokens"],
                     _money(e["totalCost"])))
    t = report["totals"]
    text = render_table(head, rows, total=("Total", "", *(t[k] for k in _TOKEN_KEYS),
                                           t["totalTokens"], _money(t["totalCost"])))
    notes = [f"Costs are estimates from transcript token counts and the price table dated "
             f"{prices.as_of} ({prices.source}); tokens are deduplicated per user."]
    if report["unpricedModels"]:
        notes.append("Unpriced models (tokens counted, cost 0): "
                     + ", ".join(report["unpricedModels"]))
    return text + "\n" + "\n".join(notes) + "\n"


def _short(model: str) -> str:
    """``claude-3-opus-20240229`` -> ``3-opus``: a table cell names the model, not its build."""
    return normalize(model).removeprefix("claude-")


def _money(value: float) -> str:
    return f"${value:,.2f}"
