"""The ``sessiond`` command line: argument parsing and dispatch, nothing else."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

import orjson

from daemon import __version__
from daemon.discovery import walk
from daemon.log import configure, get_logger
from daemon.notify import Notifier
from daemon.registry import load
from daemon.settings import Settings, SettingsError, load_settings
from daemon.status import is_healthy, overall, render
from state.db import StateError, open_state
from state.store import Store

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

# Processors with a `report` module (processors/<name>/report.py: add_arguments, run).
REPORTS: tuple[str, ...] = ("usage", "verification")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="TOML config file (default /etc/sessiond/sessiond.toml)")
    p.add_argument("--root", help="session tree (default /data/user_sessions)")
    p.add_argument("--state", help="DuckDB state file (default /var/lib/sessiond/state.duckdb)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="sessiond", description=__doc__)
    top.add_argument("--version", action="version", version=f"sessiond {__version__}")
    sub = top.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the daemon in the foreground")
    _common(run)
    run.add_argument("--once", action="store_true", help="scan, process everything, exit")
    run.add_argument("--no-watch", dest="watch", action="store_const", const=False,
                     help="no inotify: find changes by scanning only")
    run.add_argument("--scan-interval", type=float, help="seconds between full scans")
    run.add_argument("--processors", help="comma-separated processors to run")
    run.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    run.add_argument("--log-format", choices=["auto", "json", "console"])
    status = sub.add_parser("status", help="per-processor progress")
    _common(status)
    status.add_argument("--json", action="store_true", help="machine-readable output")
    report = sub.add_parser("report", help="reports from a processor's outputs")
    kinds = report.add_subparsers(dest="report", required=True)
    for name in REPORTS:
        try:
            module = importlib.import_module(f"processors.{name}.report")
        except ModuleNotFoundError:
            continue  # that processor is not part of this build
        kind = kinds.add_parser(name, help=module.__doc__)
        _common(kind)
        module.add_arguments(kind)
    return top


def _report(args: argparse.Namespace) -> int:
    settings = _settings(args)
    module = importlib.import_module(f"processors.{args.report}.report")
    con = open_state(settings.state, read_only=True)
    try:
        return int(module.run(con, args, sys.stdout))
    finally:
        con.close()


def _settings(args: argparse.Namespace) -> Settings:
    flags: dict[str, Any] = {
        k: getattr(args, k, None)
        for k in ("config", "root", "state", "watch", "scan_interval", "processors",
                  "log_level", "log_format")
    }
    return load_settings(flags)


def _run(args: argparse.Namespace) -> int:
    from daemon.service import Service  # imported late: status needs none of it

    settings = _settings(args)
    configure(settings.log_level, settings.log_format)
    processors = load(settings.processors, settings.processor_options)
    service = Service(settings, processors, reload=lambda: _settings(args),
                      notifier=Notifier(), log=get_logger())
    if args.once:
        return service.run_once()
    return service.run()


def _status(args: argparse.Namespace) -> int:
    settings = _settings(args)
    processors = load(settings.processors, settings.processor_options)
    con = open_state(settings.state, read_only=True)
    try:
        cursors = Store(con).cursors()
    finally:
        con.close()
    errors: list[str] = []
    files = {f.key: (f, st) for f, st in walk(settings.root, errors)} if settings.root.is_dir() else {}
    status = overall(processors, cursors, files)
    status.update(root=str(settings.root), state=str(settings.state),
                  daemon={"running": False}, scan_errors=errors[:20])
    if args.json:
        sys.stdout.write(orjson.dumps(status, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(render(status))
    return EXIT_OK if is_healthy(status) else EXIT_ERRORS


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "report":
            return _report(args)
        return _status(args)
    except (SettingsError, StateError) as exc:
        print(f"sessiond: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
