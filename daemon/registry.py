"""The processor registry: entry points of the ``sessiond.processors`` group, or ``module:attr``."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any

from sessiond.daemon.settings import SettingsError
from sessiond.processors.contract import Processor

GROUP = "sessiond.processors"


def available() -> dict[str, str]:
    """Installed processors: name -> ``module:attr``."""
    return {ep.name: ep.value for ep in entry_points(group=GROUP)}


def _resolve(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


def load(names: Sequence[str], options: Mapping[str, Mapping[str, Any]]) -> list[Processor]:
    """Instantiate the named processors (all installed ones when ``names`` is empty).

    A name is an entry point of the group, or ``package.module:Class`` for one that is not
    installed as a plugin. Options from ``[processor.<name>]`` (minus ``interval``) are passed
    to the class as keyword arguments.
    """
    installed = available()
    chosen = list(names) or sorted(installed)
    out: list[Processor] = []
    for name in chosen:
        spec = installed.get(name) or (name if ":" in name else None)
        if spec is None:
            raise SettingsError(
                f"unknown processor {name!r} (installed: {', '.join(sorted(installed)) or 'none'})"
            )
        try:
            factory = _resolve(spec)
        except (ImportError, AttributeError) as exc:
            raise SettingsError(f"processor {name!r}: cannot load {spec}: {exc}") from exc
        instance = factory
        if isinstance(factory, type):
            kwargs = {k: v for k, v in options.get(name, {}).items() if k != "interval"}
            if not kwargs:
                kwargs = {
                    k: v for k, v in options.get(getattr(factory, "name", ""), {}).items()
                    if k != "interval"
                }
            try:
                instance = factory(**kwargs)
            except (TypeError, ValueError) as exc:
                raise SettingsError(f"processor {name!r}: bad options: {exc}") from exc
        if not isinstance(instance, Processor):
            raise SettingsError(f"processor {name!r}: {spec} does not implement the contract")
        if any(p.name == instance.name for p in out):
            raise SettingsError(f"processor {instance.name!r} configured twice")
        out.append(instance)
    return out
