"""systemd/grafana-dashboard.json: every PromQL expression names metrics a real daemon exports.

The names are read from a running daemon's ``GET /metrics`` (sample names, so a counter is
``…_total`` and a histogram ``…_bucket``/``_sum``/``_count``, as PromQL must spell them), after
a commit, so that the labelled commit histogram has samples.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sessiond.daemon.client import request
from tests.harness import REPO, Daemon, append, lines_of

DASHBOARD = REPO / "systemd" / "grafana-dashboard.json"

# Series Prometheus adds to every scrape target itself (the daemon cannot export them).
PROMETHEUS_SERIES = {"up"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(.*?)\s*,\s*\w+\s*\)\s*$")
_NAME = re.compile(r"(?<![\w:$.])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()")
_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
          "unless", "offset", "atan2", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: what is left once strings, label
    matchers, ranges, grouping clauses, functions, keywords and numbers are taken out."""
    if m := _LABEL_VALUES.match(expr):  # a Grafana template query
        expr = m.group(1)
    text = _STRING.sub(" ", expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = re.sub(r"\b\d[\w.]*", " ", text)  # numbers, durations (5m), exponents (1e3)
    return {n for n in _NAME.findall(text) if n.lower() not in _WORDS}


def expressions(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every panel target (rows' nested panels too) and template query."""
    def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for p in items:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(dashboard["panels"]):
        for t in p.get("targets", []):
            yield f"panel {p['title']!r} {t['refId']}", t["expr"]
    for v in dashboard["templating"]["list"]:
        if v["type"] == "query":
            q = v["query"]
            yield f"variable {v['name']}", q["query"] if isinstance(q, dict) else q


@pytest.mark.parametrize(("expr", "names"), [
    ('sum by (processor) (rate(sessiond_bytes_processed_total{instance=~"$i"}[$__rate_interval]))',
     {"sessiond_bytes_processed_total"}),
    ('histogram_quantile(0.99, sum by (le, processor) (rate(a_bucket{p="x"}[5m])))', {"a_bucket"}),
    ("rate(a_sum[1m]) / on (processor) rate(a_count[1m]) > 1e3 unless b offset 5m", {"a_sum", "a_count", "b"}),
    ('label_values(sessiond_scans_total{instance=~"$instance"}, instance)', {"sessiond_scans_total"}),
    ('min(up{job="sessiond"})', {"up"}),
    ('count({__name__=~"x.+"})', set()),
])
def test_metric_names_are_read_from_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The sample names of a real daemon's /metrics (lines and usage processors) after it
    committed a small tree."""
    tmp = tmp_path_factory.mktemp("metrics")
    root, state = tmp / "root", tmp / "state" / "state.duckdb"
    append(root / "u" / "a.jsonl", lines_of("a", 3))
    config = tmp / "sessiond.toml"
    config.write_text("settle = 0.05\nmax_delay = 0.5\n")
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", "lines,usage")
    try:
        d.wait_for("daemon.ready")
        d.wait_for("processor.committed", lambda e: e["processor"] == "usage")
        code, text = request(state.parent / "sessiond.sock", "GET", "/metrics")
    finally:
        assert d.stop() == 0
    assert code == 200
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def test_every_dashboard_expression_names_an_exported_metric(exported: set[str]) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    found = list(expressions(dashboard))
    assert len(found) > 20
    unknown = {
        (where, name) for where, expr in found for name in metric_names(expr)
        if name not in exported | PROMETHEUS_SERIES
    }
    assert not unknown, f"not exported by the daemon: {sorted(unknown)}"
    assert all(metric_names(expr) for _, expr in found), "an expression names no metric"


def test_every_exported_metric_has_a_panel(exported: set[str]) -> None:
    """A metric added to the daemon without a panel fails here: add it to the dashboard."""
    dashboard = json.loads(DASHBOARD.read_text())
    shown = {name for _, expr in expressions(dashboard) for name in metric_names(expr)}
    families = {re.sub(r"_(total|bucket|sum|count|created)$", "", n) for n in exported}
    missing = {f for f in families if f.startswith("sessiond_")} - {
        re.sub(r"_(total|bucket|sum|count)$", "", n) for n in shown}
    assert not missing, f"exported but on no panel: {sorted(missing)}"


def test_the_dashboard_is_importable_grafana_json() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["schemaVersion"] >= 36
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for p in dashboard["panels"]:
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24 and g["h"] > 0
        if p["type"] != "row":
            assert p["datasource"]["uid"] == "${datasource}" and p["targets"]
    names = {v["name"] for v in dashboard["templating"]["list"]}
    used = set(re.findall(r"\$\{?(\w+)", DASHBOARD.read_text())) - {"__rate_interval"}
    assert used <= names, f"undefined variables: {used - names}"
