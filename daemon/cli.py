"""The ``sessiond`` command line: argument parsing and dispatch, nothing else."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from sessiond import __version__
from sessiond.daemon import commands
from sessiond.daemon.settings import SettingsError
from sessiond.state.db import StateError

# Processors with a `report` module (processors/<name>/report.py: add_arguments, run).
REPORTS: tuple[str, ...] = ("usage", "verification")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="TOML config file (default /etc/sessiond/sessiond.toml)")
    p.add_argument("--root", help="session tree (default /data/user_sessions)")
    p.add_argument("--state", help="DuckDB state file (default /var/lib/sessiond/state.duckdb)")
    p.add_argument("--socket", help="control socket (default sessiond.sock beside the state file)")


def report_modules() -> dict[str, ModuleType]:
    out = {}
    for name in REPORTS:
        try:
            out[name] = importlib.import_module(f"sessiond.processors.{name}.report")
        except ModuleNotFoundError:
            continue  # that processor is not part of this build
    return out


class ArgumentError(Exception):
    """Bad arguments, raised instead of exiting (for reports run inside the daemon)."""


class _RaisingParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise ArgumentError(message)


def report_parser(
    name: str, module: ModuleType, parent: argparse._SubParsersAction | None = None  # type: ignore[type-arg]
) -> argparse.ArgumentParser:
    """A report's own arguments (plus the common ones); standalone, it raises on bad input."""
    kind = (parent.add_parser(name, help=module.__doc__) if parent is not None
            else _RaisingParser(prog=f"sessiond report {name}", add_help=False))
    _common(kind)
    module.add_arguments(kind)
    return kind


def parser(argv: Sequence[str] = ("report",)) -> argparse.ArgumentParser:
    """The full parser; report modules (duckdb, pyarrow, ...) are imported only when ``argv``
    is a ``report`` command, so `status` and friends start fast."""
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

    status = sub.add_parser("status", help="per-processor progress; exit 0 healthy, 1 degraded, 2 down")
    _common(status)
    status.add_argument("--json", action="store_true", help="machine-readable output")

    rescan = sub.add_parser("rescan", help="ask the daemon for a full scan now (like SIGHUP's)")
    _common(rescan)

    process = sub.add_parser("process", help="run a processor's pending work now (exit 75: busy)")
    _common(process)
    process.add_argument("processor")
    process.add_argument("--json", action="store_true")

    reprocess = sub.add_parser("reprocess", help="delete a processor's outputs and cursors, redo")
    _common(reprocess)
    reprocess.add_argument("processor")
    reprocess.add_argument("--user", help="only this user's files")
    reprocess.add_argument("--file", help="only this file (key relative to the root)")

    parked = sub.add_parser("parked", help="files parked after repeated failures")
    _common(parked)
    parked.add_argument("processor", nargs="?")
    parked.add_argument("--json", action="store_true")

    retry = sub.add_parser("retry", help="release parked files of a processor")
    _common(retry)
    retry.add_argument("processor")
    retry.add_argument("--file", help="only this file")

    report = sub.add_parser("report", help="reports from a processor's outputs")
    kinds = report.add_subparsers(dest="report", required=True)
    if list(argv[:1]) == ["report"]:
        for name, module in report_modules().items():
            report_parser(name, module, kinds)
    return top


def _report_through_daemon(argv: list[str]) -> int | None:
    """``report NAME ...`` answered by a running daemon, parsing only what finds it: the
    daemon parses the report's own arguments, so the client imports no report module (nor
    duckdb, pyarrow: ~250 ms). None when no daemon answers, or for ``--help`` (and every
    ``report`` that reaches `commands.report` was asked here first: argparse stops the others)."""
    if argv[:1] != ["report"] or len(argv) < 2 or {"-h", "--help"} & set(argv):
        return None
    light = argparse.ArgumentParser(prog="sessiond report", add_help=False)
    _common(light)
    light.add_argument("report")
    args, _ = light.parse_known_args(argv[1:])
    args.argv = argv
    return commands.report_through_daemon(args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        answered = _report_through_daemon(argv)
        if answered is not None:
            return answered
        args = parser(argv).parse_args(argv)
        args.argv = argv
        return commands.dispatch(args)
    except (SettingsError, StateError) as exc:
        print(f"sessiond: {exc}", file=sys.stderr)
        return commands.EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
