"""The processor registry: entry points of the ``sessiond.processors`` group, or ``module:attr``;
and the reports those processors ship (`Processor.report`)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from typing import Any

from sessiond.daemon.config import SettingsError
from sessiond.processors.contract import Processor, Report, is_processor

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
        if not is_processor(instance):
            raise SettingsError(f"processor {name!r}: {spec} does not implement the contract")
        if any(p.name == instance.name for p in out):
            raise SettingsError(f"processor {instance.name!r} configured twice")
        out.append(instance)
    return out


class UnknownReport(LookupError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = sorted(known)

    def __str__(self) -> str:
        return f"no report {self.name!r} (known: {', '.join(self.known) or 'none'})"


def _shipped(processors: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(report name -> where it is, name -> why its processor cannot be loaded)."""
    specs = {ep.name: ep.value for ep in entry_points(group=GROUP)}
    specs.update({s: s for s in processors if ":" in s})
    found: dict[str, str] = {}
    broken: dict[str, str] = {}
    for key, spec in specs.items():
        try:
            factory = _resolve(spec)
        except (ImportError, AttributeError) as exc:
            broken[key] = f"cannot load {spec}: {exc}"
            continue
        where, name = getattr(factory, "report", None), getattr(factory, "name", key)
        if isinstance(where, str) and isinstance(name, str):
            found.setdefault(name, where)
    return found, broken


def reports(processors: Sequence[str] = ()) -> dict[str, str]:
    """The reports processors ship, by the processor's name: the installed processors' (the
    entry points) and those ``processors`` (the config's list) name as ``package.module:Class``.
    Only processor classes are imported here, no report."""
    return _shipped(processors)[0]


def _named(name: str) -> str | None:
    """Where the report of the processor installed under the entry point ``name`` is, if that
    processor is called ``name`` too (the usual case): found without importing every other
    processor (verification's rules alone take ~170 ms to import, a third of `report usage`)."""
    spec = available().get(name)
    if spec is None:
        return None
    try:
        factory = _resolve(spec)
    except (ImportError, AttributeError):
        return None  # reported by the full search, with its reason
    where = getattr(factory, "report", None)
    return where if isinstance(where, str) and getattr(factory, "name", name) == name else None


def load_report(name: str, processors: Sequence[str] = ()) -> Report:
    """The report of the processor called ``name`` (imported now); `UnknownReport` if none.
    The processor installed under that entry point name is asked first; the others are
    imported only if it is not the one."""
    where = _named(name)
    found, broken = ({name: where}, {}) if where is not None else _shipped(processors)
    if name not in found:
        if name in broken:
            raise SettingsError(f"report {name!r}: {broken[name]}")
        raise UnknownReport(name, list(found))
    try:
        report = _resolve(found[name])
    except (ImportError, AttributeError) as exc:
        raise SettingsError(f"report {name!r}: cannot load {found[name]}: {exc}") from exc
    if not isinstance(report, Report):
        raise SettingsError(f"report {name!r}: {found[name]} has no add_arguments and run")
    return report
