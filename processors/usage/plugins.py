"""Plugin attribution: which plugin a skill, subagent or slash command came from, and its tier.

A name ``prefix:local`` (``acme-tools:deploy``) belongs to plugin ``prefix``; a name without a
prefix is built in. An optional catalog (TOML, ``[plugins] <prefix> = "curated" | "community"``)
marks prefixes; a prefixed name the catalog does not list counts as ``community``. The split is
stored with each event; the tier is resolved at report time, so a catalog edit never leaves
stale rows behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sessiond.processors.usage.prices import toml_file

BUILTIN = "builtin"
CURATED = "curated"
COMMUNITY = "community"
TIERS = (CURATED, COMMUNITY)


class CatalogError(ValueError):
    """The plugin catalog file cannot be used; the message names the file and the problem."""


def plugin_of(name: str | None) -> str | None:
    """The plugin prefix of ``prefix:local``, or None for a built-in (unprefixed) name."""
    if not name:
        return None
    prefix, sep, local = name.partition(":")
    if not sep or not prefix or not local:
        return None
    return prefix


@dataclass(frozen=True, slots=True)
class Catalog:
    """Prefix -> tier, from the operator's catalog file (empty when none is configured)."""

    tiers: Mapping[str, str] = field(default_factory=dict)

    def tier(self, plugin: str | None) -> str:
        if plugin is None:
            return BUILTIN
        return self.tiers.get(plugin, COMMUNITY)


def load_catalog(path: str | Path | None) -> Catalog:
    """Read a catalog file; ``None`` gives the empty catalog."""
    if path is None:
        return Catalog()
    table = toml_file(path, CatalogError, "plugin catalog").get("plugins", {})
    if not isinstance(table, dict):
        raise CatalogError(f"plugin catalog {path}: [plugins] must be a table")
    tiers: dict[str, str] = {}
    for prefix, tier in table.items():
        if tier not in TIERS:
            raise CatalogError(
                f"plugin catalog {path}: {prefix!r} has tier {tier!r}, "
                f"expected one of {', '.join(TIERS)}"
            )
        tiers[prefix] = tier
    return Catalog(tiers)
