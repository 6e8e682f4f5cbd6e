"""Domains: which area of knowledge a fact belongs to, by keyword.

Each domain has a keyword list; a text scores one point per distinct keyword it contains (whole
words, case-insensitive). The highest score wins; ties go to the earlier domain in `DOMAINS`;
a text with no keyword is ``general``. Deterministic and cheap, and the same for both extractors.
"""

from __future__ import annotations

import re

GENERAL = "general"

# Order matters only for ties. Multi-word keywords are matched as phrases.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "finance": (
        "revenue", "mrr", "arr", "churn", "invoice", "invoices", "billing", "billed", "fiscal",
        "quarter", "quarters", "fy", "budget", "cost", "costs", "margin", "pricing", "price",
        "setup fee", "setup fees", "subscription", "subscriptions", "payment", "payments",
        "accounting", "gaap", "ebitda", "cogs", "profit", "ltv", "cac", "nrr", "grr", "arpu",
        "recognized revenue", "recognised revenue", "refund", "refunds", "discount", "tax",
        "usd", "eur", "currency", "forecast", "bookings", "cash", "expense", "expenses",
    ),
    "engineering": (
        "code", "function", "functions", "class", "module", "api", "endpoint", "endpoints",
        "test", "tests", "unit test", "bug", "refactor", "library", "python", "typescript",
        "javascript", "repo", "repository", "git", "branch", "commit", "merge", "lint",
        "linter", "type", "types", "compile", "build", "exception", "stack trace", "pr",
        "pull request", "code review", "variable", "method", "interface", "dependency",
        "dependencies", "package", "import", "http", "json", "rest", "graphql", "sdk", "cli",
    ),
    "product": (
        "feature", "features", "roadmap", "ux", "ui", "onboarding", "persona", "personas",
        "customer journey", "user story", "user stories", "prd", "requirement", "requirements",
        "launch", "release", "beta", "pricing page", "funnel", "activation", "retention",
        "engagement", "nps", "csat", "signup", "signups", "trial", "trials", "plan", "plans",
        "tier", "tiers", "free tier", "feedback", "experiment", "a/b test",
    ),
    "data": (
        "table", "tables", "column", "columns", "schema", "sql", "query", "queries", "dbt",
        "warehouse", "pipeline", "pipelines", "etl", "elt", "dataset", "datasets", "join",
        "joins", "row", "rows", "model", "models", "mart", "marts", "snowflake", "bigquery",
        "redshift", "duckdb", "partition", "partitions", "scd2", "scd", "dimension", "fact table",
        "metric", "metrics", "csv", "parquet", "cohort", "cohorts", "deduplicate", "grain",
    ),
    "operations": (
        "on-call", "oncall", "incident", "incidents", "runbook", "runbooks", "sla", "slo",
        "support", "ticket", "tickets", "escalation", "escalate", "vendor", "vendors",
        "process", "approval", "approvals", "policy", "compliance", "audit", "hiring",
        "headcount", "postmortem", "rota", "handover", "sop", "procurement", "contract",
        "deploy window", "change freeze", "standup", "sprint",
    ),
    "infrastructure": (
        "server", "servers", "kubernetes", "k8s", "docker", "container", "containers", "aws",
        "gcp", "azure", "cluster", "clusters", "network", "dns", "terraform", "cpu", "memory",
        "disk", "latency", "load balancer", "region", "regions", "vpc", "s3", "bucket",
        "instance", "instances", "node", "nodes", "prod", "production", "staging", "deploy",
        "deployment", "deployments", "helm", "nginx", "cdn", "ssl", "tls", "certificate",
        "backup", "backups", "replica", "replicas", "cron", "job", "jobs", "queue",
    ),
}
DOMAINS: tuple[str, ...] = (*KEYWORDS, GENERAL)

_PATTERNS: dict[str, re.Pattern[str]] = {
    domain: re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(k) for k in sorted(words, key=len, reverse=True))
        + r")(?![\w-])",
        re.IGNORECASE,
    )
    for domain, words in KEYWORDS.items()
}


def scores(text: str) -> dict[str, int]:
    """Distinct keywords of each domain found in the text."""
    return {
        domain: len({m.lower() for m in pattern.findall(text)})
        for domain, pattern in _PATTERNS.items()
    }


def classify(text: str) -> str:
    """The domain of a text: most distinct keywords, ties to the earlier domain, else general."""
    best, best_score = GENERAL, 0
    for domain, score in scores(text).items():
        if score > best_score:
            best, best_score = domain, score
    return best
