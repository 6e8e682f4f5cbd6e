"""The ``sessiond`` command line: argument parsing and dispatch, nothing else."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sessiond import __version__
from sessiond.daemon import client, config
from sessiond.daemon.config import SettingsError

if TYPE_CHECKING:
    from sessiond.processors.contract import Report


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="TOML config file (default /etc/sessiond/sessiond.toml)")
    p.add_argument("--root", help="session tree (default /data/user_sessions)")
    p.add_argument("--state", help="DuckDB state file (default /var/lib/sessiond/state.duckdb)")
    p.add_argument("--socket", help="control socket (default sessiond.sock beside the state file)")


class ArgumentError(Exception):
    """Bad arguments, raised instead of exiting (for reports run inside the daemon)."""


class _RaisingParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise ArgumentError(message)


def report_parser(
    name: str, report: Report, parent: argparse._SubParsersAction | None = None  # type: ignore[type-arg]
) -> argparse.ArgumentParser:
    """A report's own arguments (plus the common ones); standalone, it raises on bad input."""
    summary = (getattr(report, "__doc__", None) or "").strip().split("\n", 1)[0] or None
    kind = (parent.add_parser(name, help=summary) if parent is not None
            else _RaisingParser(prog=f"sessiond report {name}", add_help=False))
    _common(kind)
    _from(kind, "report over the Parquet snapshots every host published into DIR (a "
                "publish_dir), not over this state")
    report.add_arguments(kind)
    return kind


def _from(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--from", dest="from_dir", metavar="DIR", help=help)


def _reports(argv: Sequence[str]) -> dict[str, Report]:
    """The reports to parse a ``report`` command with: processors ship them (`registry`); only
    the one ``argv`` names is imported, or every one (for help, or to list the known ones)."""
    from sessiond.daemon.registry import UnknownReport, load_report, reports

    light = argparse.ArgumentParser(add_help=False)
    _common(light)
    light.add_argument("report", nargs="?")
    args, _ = light.parse_known_args(list(argv[1:]))
    processors = config.resolve({"config": args.config})[1].get("processors", ())
    if args.report is not None:
        try:  # a broken plugin's report says why (SettingsError)
            return {args.report: load_report(args.report, processors)}
        except UnknownReport:
            pass  # argparse lists the known ones
    shipped = reports(processors)
    out = {}
    for name in sorted(shipped):
        try:
            out[name] = load_report(name, processors)
        except SettingsError:
            continue  # a broken plugin's report: asked for by name, it says why
    return out


def _knowledge(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``knowledge list|show|approve|reject``: reviewing the verification processor's items."""
    knowledge = sub.add_parser("knowledge", help="review knowledge items: list, show, approve, reject")
    actions = knowledge.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="knowledge items, newest first, with their status")
    listing.add_argument("--status", choices=("pending", "approved", "rejected"))
    for name, text in (("show", "an item, its evidence and the exchanges it came from"),
                       ("approve", "approve an item (kept by id across reprocess and upgrades)"),
                       ("reject", "reject an item (later evidence keeps it rejected)")):
        action = actions.add_parser(name, help=text)
        action.add_argument("id", help="the item's id (kv_...)")
    for action in actions.choices.values():
        _common(action)
        action.add_argument("--json", action="store_true", help="machine-readable output")


def parser(argv: Sequence[str] = ("report",)) -> argparse.ArgumentParser:
    """The full parser; reports (duckdb, pyarrow, ...) are imported only when ``argv`` is a
    ``report`` command, so `status` and friends start fast."""
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

    _knowledge(sub)

    sql = sub.add_parser("sql", help="one read-only SQL query over the state (exit 2: refused)")
    _common(sql)
    sql.add_argument("query", help="one SELECT (WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE); "
                                   "the public_* views are the stable ones")
    sql.add_argument("--format", choices=("table", "json", "csv"), default="table")
    _from(sql, "query the Parquet snapshots every host published into DIR instead")

    publish = sub.add_parser("publish", help="write the Parquet snapshots to publish_dir now")
    _common(publish)
    publish.add_argument("--json", action="store_true", help="machine-readable output")

    report = sub.add_parser("report", help="reports from a processor's outputs")
    kinds = report.add_subparsers(dest="report", required=True)
    if list(argv[:1]) == ["report"]:
        for name, shipped in _reports(argv).items():
            report_parser(name, shipped, kinds)
    return top


def _report_through_daemon(argv: list[str]) -> int | None:
    """``report NAME ...`` answered by a running daemon, parsing only what finds it: the
    daemon parses the report's own arguments, so the client imports no report module (nor
    duckdb, pyarrow: ~250 ms), nor the other commands' modules, nor `Settings` (~40 ms more:
    `config.control` finds the socket by the same rules). None when no daemon answers, or for
    ``--help`` (and every ``report`` that reaches `commands.report` was asked here first:
    argparse stops the others)."""
    if argv[:1] != ["report"] or len(argv) < 2 or {"-h", "--help"} & set(argv):
        return None
    if any(a == "--from" or a.startswith("--from=") for a in argv):
        return None  # snapshots: read here, not by the daemon
    light = argparse.ArgumentParser(prog="sessiond report", add_help=False)
    _common(light)
    light.add_argument("report")
    args, _ = light.parse_known_args(argv[1:])
    where = config.control({"config": args.config, "state": args.state, "socket": args.socket})
    return client.report(*where, args.report, argv[argv.index(args.report) + 1:])


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        answered = _report_through_daemon(argv)
        if answered is not None:
            return answered
        from sessiond.daemon import commands  # (what the daemon did not answer)
        from sessiond.state.db import StateError

        try:
            args = parser(argv).parse_args(argv)
            args.argv = argv
            return commands.dispatch(args)
        except StateError as exc:
            print(f"sessiond: {exc}", file=sys.stderr)
            return client.EXIT_USAGE
    except (SettingsError, client.DaemonUnreachable) as exc:
        print(f"sessiond: {exc}", file=sys.stderr)
        return client.EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
