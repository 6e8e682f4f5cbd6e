"""What each CLI command does: ask the running daemon over its socket, or, when none runs,
open the state file directly (the daemon owns it while it runs).

A command the daemon answers imports neither ``duckdb`` nor ``pyarrow``, nor the logging and
plugin machinery (~120 ms of the 180 ms this module used to cost): what runs or opens the state
file is imported where it is used.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from dataclasses import replace
from typing import Any

from sessiond.daemon import client
from sessiond.daemon.client import EXIT_DOWN, EXIT_ERRORS, EXIT_OK, EXIT_USAGE
from sessiond.daemon.settings import Settings, load_settings
from sessiond.daemon.status import degraded_reasons, render
from sessiond.state.db import open_state


def settings_of(args: argparse.Namespace) -> Settings:
    flags: dict[str, Any] = {
        k: getattr(args, k, None)
        for k in ("config", "root", "state", "socket", "watch", "scan_interval", "processors",
                  "log_level", "log_format")
    }
    return load_settings(flags)


def _print_json(body: Any) -> None:
    import orjson  # only for --json: ~15 ms of a command's start (`daemon.client`)

    sys.stdout.write(orjson.dumps(body, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")


def _ask(settings: Settings, method: str, route: str, **params: str | None) -> tuple[int, Any] | None:
    """The daemon's answer, or None when no daemon runs (`client.ask`)."""
    return client.ask(settings.socket_path, settings.state, settings.lock_wait, method, route,
                      params)


def _offline_service(settings: Settings) -> Any:
    from sessiond.daemon.log import (  # the heavy part: only when no daemon runs
        configure,
        get_logger,
    )
    from sessiond.daemon.registry import load
    from sessiond.daemon.service import Service

    configure(settings.log_level, "json", sys.stderr)
    return Service(settings, load(settings.processors, settings.processor_options), log=get_logger())


def run(args: argparse.Namespace) -> int:
    from sessiond.daemon.log import configure, get_logger
    from sessiond.daemon.notify import Notifier
    from sessiond.daemon.registry import load
    from sessiond.daemon.service import Service

    settings = settings_of(args)
    configure(settings.log_level, settings.log_format)
    processors = load(settings.processors, settings.processor_options)
    service = Service(settings, processors, reload=lambda: settings_of(args),
                      notifier=Notifier(), log=get_logger(), announce=not args.once)
    # What start-up built (modules, the scan index) lives as long as the process: keep it out
    # of every collection. (A gen-0 threshold of 50,000 made a backfill ~10 % faster, but each
    # gen-1 pass then walks up to a million objects, a pause in the append latency; the append
    # p99 did not improve with it, so the default thresholds stay.)
    gc.freeze()
    if args.once:
        return service.run_once()
    code = service.run()
    if service.restart:  # outgrown (`restart_rss`): the same process, a fresh daemon
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "sessiond", *args.argv])
    return code


def status(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    answer = _ask(settings, "GET", "/status")
    body = answer[1] if answer is not None else _offline_status(settings)
    reasons = degraded_reasons(body, lag_threshold=settings.lag_threshold)
    body["health"] = "down" if not body["daemon"]["running"] else ("degraded" if reasons else "ok")
    body["problems"] = reasons
    if args.json:
        _print_json(body)
    else:
        print(render(body))
    if not body["daemon"]["running"]:
        return EXIT_DOWN
    return EXIT_ERRORS if reasons else EXIT_OK


def _offline_status(settings: Settings) -> dict[str, Any]:
    from sessiond.daemon.registry import load
    from sessiond.daemon.status import snapshot, walk
    from sessiond.state.store import Store

    processors = load(settings.processors, settings.processor_options)
    walked = walk(settings.root)  # before opening: the file is held only for the queries
    con = open_state(settings.state, read_only=True)
    try:
        body = snapshot(processors, Store(con), settings.root, walked)
    finally:
        con.close()
    body.update(state=str(settings.state), daemon={"running": False})
    return body


def rescan(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    answer = _ask(settings, "POST", "/rescan")
    if answer is None:
        print(f"sessiond: no daemon answers on {settings.socket_path}", file=sys.stderr)
        return EXIT_DOWN
    print("rescan queued")
    return EXIT_OK


def _answer_or_offline(settings: Settings, method: str, route: str, offline: Any, *,
                       quiet: bool = False, **params: str | None) -> tuple[int, Any]:
    """The daemon's answer, or ``offline(service)``'s on the state file. ``quiet``: the
    offline service logs warnings only -- a bookkeeping command's output is its answer, not
    the start-up's ``processor.loaded`` lines."""
    answer = _ask(settings, method, route, **params)
    if answer is not None:
        return answer
    return _offline(settings, lambda service: (200, offline(service)), quiet=quiet)


def _offline(settings: Settings, call: Any, *, quiet: bool = False) -> tuple[int, Any]:
    """``call(service)`` on the state file (no daemon runs), its refusals answered as the
    daemon's routes answer them. ``quiet``: see `_answer_or_offline`."""
    from sessiond.daemon.operations import Busy, UnknownProcessor

    service = _offline_service(replace(settings, log_level="warning") if quiet else settings)
    try:
        return call(service)  # type: ignore[no-any-return]
    except UnknownProcessor as exc:
        return 404, {"error": str(exc), "known": exc.known}
    except Busy as exc:
        return 409, {"error": f"processor {exc} is running a pass", "busy": True}
    finally:
        service.close()


def process(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    name = args.processor
    status_code, body = _answer_or_offline(
        settings, "POST", "/process",
        lambda svc: {"processor": name, **svc.ops.process(name).as_dict()}, processor=name)
    if status_code != 200:
        return client.fail(status_code, body)
    if args.json:
        _print_json(body)
    else:
        print(" ".join(f"{k}={body[k]}" for k in
                       ("processor", "scanned", "processed", "skipped", "errors", "items_extracted")))
        for e in body.get("errors_detail", []):
            print(f"  error {e['session']}: {e['error']}")
    return EXIT_ERRORS if body["errors"] else EXIT_OK


def reprocess(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    status_code, body = _answer_or_offline(
        settings, "POST", "/reprocess",
        lambda svc: {"processor": args.processor,
                     "files": svc.ops.reprocess(args.processor, user=args.user, file=args.file)},
        processor=args.processor, user=args.user, file=args.file)
    if status_code != 200:
        return client.fail(status_code, body)
    print(f"{body['files']} file(s) reset for {body['processor']}; they will be processed again")
    return EXIT_OK


def parked(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    status_code, body = _answer_or_offline(
        settings, "GET", "/parked", lambda svc: {"parked": svc.ops.parked(args.processor)},
        quiet=True, processor=args.processor)
    if status_code != 200:
        return client.fail(status_code, body)
    if args.json:
        _print_json(body)
    else:
        for p in body["parked"]:
            print(f"{p['processor']}\t{p['file']}\tattempts={p['attempts']}\t{p['last_error']}")
    return EXIT_OK


def retry(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    status_code, body = _answer_or_offline(
        settings, "POST", "/retry",
        lambda svc: {"processor": args.processor, "files": svc.ops.retry(args.processor, file=args.file)},
        quiet=True, processor=args.processor, file=args.file)
    if status_code != 200:
        return client.fail(status_code, body)
    print(f"{body['files']} file(s) released for {body['processor']}")
    return EXIT_OK


def report(args: argparse.Namespace) -> int:
    """The report on the state file: `daemon.cli` asked the daemon first (`client.report`,
    before importing any report) and none answered."""
    from sessiond.daemon.registry import load_report

    settings = settings_of(args)
    shipped = load_report(args.report, settings.processors)
    if getattr(args, "from_dir", None):
        return _on_snapshots(args.from_dir, lambda con: int(shipped.run(con, args, sys.stdout)))
    con = open_state(settings.state, read_only=True)
    try:
        return int(shipped.run(con, args, sys.stdout))
    finally:
        con.close()


def _on_snapshots(directory: str, use: Any) -> int:
    """``use(con)`` on every host's snapshots in ``directory`` (`daemon.snapshots`)."""
    from pathlib import Path

    from sessiond.daemon.publish import SnapshotError
    from sessiond.daemon.snapshots import open_snapshots

    try:
        snapshots = open_snapshots(Path(directory))
    except SnapshotError as exc:
        print(f"sessiond: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with snapshots:
        if snapshots.mixed:
            print(f"sessiond: note: the views of {', '.join(snapshots.mixed)} come from different "
                  "publishes (one was interrupted or still under way)", file=sys.stderr)
        return int(use(snapshots.con))


def sql(args: argparse.Namespace) -> int:
    """``sql QUERY``: the daemon runs it on a read connection; with none running, this process
    runs it on the state file (read-only, held only for the query); ``--from``: on snapshots."""
    settings = settings_of(args)
    if args.from_dir:
        return _on_snapshots(args.from_dir, lambda con: _sql_here(con, args.query, settings,
                                                                  args.format))
    answer = _ask(settings, "POST", "/sql", query=args.query)
    if answer is None:
        con = open_state(settings.state, read_only=True)
        try:
            from sessiond.daemon.sql import sandbox

            sandbox(con)  # as in the daemon: the query sees the state, not the files
            return _sql_here(con, args.query, settings, args.format)
        finally:
            con.close()
    code, body = answer
    if code != 200:
        return client.fail(code, body)
    from sessiond.daemon.sql import Answer

    return _print_answer(Answer.from_wire(body), args.format)


def _sql_here(con: Any, query: str, settings: Settings, fmt: str) -> int:
    from sessiond.daemon.sql import Failed, Refused, TimedOut, run

    try:
        answer = run(con.cursor(), query, timeout=settings.sql_timeout,
                     max_rows=settings.sql_max_rows)
    except (Refused, Failed) as exc:
        return client.fail(400, {"error": str(exc)})
    except TimedOut as exc:
        return client.fail(408, {"error": str(exc)})
    return _print_answer(answer, fmt)


def _print_answer(answer: Any, fmt: str) -> int:
    from sessiond.daemon.sql import render

    sys.stdout.write(render(answer, fmt))
    if answer.truncated and fmt != "table":  # the table says so itself
        print(f"sessiond: only the first {len(answer.rows)} rows (sql_max_rows)", file=sys.stderr)
    return EXIT_OK


def publish(args: argparse.Namespace) -> int:
    """``publish``: the daemon writes its snapshots now; with none running, this process writes
    them from the state file (read-only)."""
    settings = settings_of(args)
    answer = _ask(settings, "POST", "/publish")
    if answer is None:
        answer = _publish_offline(settings)
    code, body = answer
    if code != 200:
        return client.fail(code, body)
    if args.json:
        _print_json(body)
    else:
        rows = ", ".join(f"{view} {n}" for view, n in body["views"].items())
        print(f"published {len(body['views'])} views to {body['dir']} as host={body['host']} "
              f"({body['bytes']:,} bytes, {body['ms']} ms): {rows}")
    return EXIT_OK


def _publish_offline(settings: Settings) -> tuple[int, Any]:
    from sessiond.daemon.publish import SnapshotError
    from sessiond.daemon.publish import publish as write

    if settings.publish_dir is None:
        return 400, {"error": "publish_dir is not set (config key publish_dir, or "
                              "SESSIOND_PUBLISH_DIR)"}
    con = open_state(settings.state, read_only=True)
    try:
        return 200, write(con.cursor(), settings.publish_dir, settings.publish_host).as_dict()
    except SnapshotError as exc:
        return 500, {"error": str(exc)}
    finally:
        con.close()


_KNOWLEDGE = {"list": ("GET", "/knowledge"), "show": ("GET", "/knowledge/item"),
              "approve": ("POST", "/knowledge/approve"), "reject": ("POST", "/knowledge/reject")}


def knowledge(args: argparse.Namespace) -> int:
    """``knowledge list|show|approve|reject``: the daemon answers (a decision records the
    caller's uid, from the socket); with none running, the same request on the state file, made
    by this process's user."""
    settings = settings_of(args)
    method, route = _KNOWLEDGE[args.action]
    params = {"status": getattr(args, "status", None), "id": getattr(args, "id", None),
              "format": None if args.json else "text"}
    answer = _ask(settings, method, route, **params)
    if answer is None:
        answer = _knowledge_offline(settings, route, {k: v for k, v in params.items() if v})
    code, body = answer
    if code != 200:
        return client.fail(code, body)
    if args.json:
        _print_json(body)
    elif "text" in body:
        sys.stdout.write(body["text"])
    else:  # a decision
        who = body["reviewer"] or f"uid {body['reviewer_uid']}"
        print(f"{body['id']} {body['status']} (was {body['previous']}) by {who}")
    return EXIT_OK


def _knowledge_offline(settings: Settings, route: str, params: dict[str, str]) -> tuple[int, Any]:
    import os

    from sessiond.daemon.api import knowledge as answer

    # the state file brought up to date (migrations) like any offline command; its own
    # processor.loaded lines are not what the person asked for
    return _offline(settings, lambda service: answer(service, route, params, os.getuid()),
                    quiet=True)


def dispatch(args: argparse.Namespace) -> int:
    handlers = {"run": run, "status": status, "rescan": rescan, "process": process,
                "reprocess": reprocess, "parked": parked, "retry": retry, "report": report,
                "knowledge": knowledge, "sql": sql, "publish": publish}
    return handlers[args.command](args)
