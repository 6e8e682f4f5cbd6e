"""The control socket's routes: each one a small function of the service."""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING, Any

import orjson

from sessiond.daemon import events
from sessiond.daemon.control import Route, caller
from sessiond.daemon.operations import UnknownProcessor

if TYPE_CHECKING:
    from sessiond.daemon.service import Service
    from sessiond.processors.verification.review import Reviewer


def _required(params: dict[str, str], key: str) -> str:
    value = params.get(key)
    if not value:
        raise UnknownProcessor("", [])
    return value


# the knowledge review's routes: list, show, and the decisions
KNOWLEDGE, KNOWLEDGE_ITEM = "/knowledge", "/knowledge/item"
DECISIONS = {"/knowledge/approve": "approved", "/knowledge/reject": "rejected"}


def knowledge(service: Service, route: str, params: dict[str, str], uid: int) -> tuple[int, Any]:
    """A knowledge review request (the daemon's route, or the CLI's on the file when no daemon
    runs): ``id``, ``status`` (to list), ``format=text`` for the rendered text; ``uid``: who
    asks (for a decision)."""
    from sessiond.processors.verification import review

    status, ident = params.get("status") or None, params.get("id", "")
    if status is not None and status not in review.STATUSES:
        return 400, {"error": f"status must be one of {', '.join(review.STATUSES)}, not {status!r}"}
    if route != KNOWLEDGE and not ident:
        return 400, {"error": "which item? (its id, kv_...)"}
    try:
        if route in DECISIONS:
            return 200, _decide(service, ident, DECISIONS[route], review.Reviewer.of(uid))
        con = service.reader()
        try:
            body = review.listing(con, status) if route == KNOWLEDGE else review.show(con, ident)
        finally:
            con.close()
    except (review.UnknownItem, review.NoKnowledge) as exc:
        return 404, {"error": str(exc)}
    if params.get("format") == "text":
        return 200, {"text": (review.render_list if route == KNOWLEDGE else review.render_item)(body)}
    return 200, body


def _decide(service: Service, ident: str, status: str, reviewer: Reviewer) -> dict[str, Any]:
    from sessiond.processors.verification import review

    with service.ops.exclusive("verification"):  # no verification batch commits meanwhile
        con = service.reader()
        try:
            decision = review.decide(con, ident, status, reviewer)
        finally:
            con.close()
    service.log.info(events.KNOWLEDGE_REVIEWED, item=ident, status=status,
                     previous=decision["previous"], uid=reviewer.uid, reviewer=reviewer.name)
    return decision


def routes(service: Service) -> dict[tuple[str, str], Route]:
    def status(params: dict[str, str]) -> tuple[int, Any]:
        return 200, service.status()

    def metrics(params: dict[str, str]) -> tuple[int, Any]:
        return 200, service.metrics.render()

    def rescan(params: dict[str, str]) -> tuple[int, Any]:
        service.request_scan()
        return 202, {"ok": True, "queued": "scan"}

    def process(params: dict[str, str]) -> tuple[int, Any]:
        name = _required(params, "processor")
        return 200, {"processor": name, **service.ops.process(name).as_dict()}

    def reprocess(params: dict[str, str]) -> tuple[int, Any]:
        name = _required(params, "processor")
        n = service.ops.reprocess(name, user=params.get("user"), file=params.get("file"))
        return 200, {"processor": name, "files": n}

    def parked(params: dict[str, str]) -> tuple[int, Any]:
        return 200, {"parked": service.ops.parked(params.get("processor"))}

    def retry(params: dict[str, str]) -> tuple[int, Any]:
        name = _required(params, "processor")
        return 200, {"processor": name, "files": service.ops.retry(name, file=params.get("file"))}

    def report(params: dict[str, str]) -> tuple[int, Any]:
        from sessiond.daemon.cli import ArgumentError, report_parser
        from sessiond.daemon.config import SettingsError
        from sessiond.daemon.registry import UnknownReport, load_report

        name = params.get("name", "")
        try:
            shipped = load_report(name, service.settings.processors)
        except UnknownReport as exc:
            return 404, {"error": str(exc), "known": exc.known}
        except SettingsError as exc:  # a plugin that cannot be loaded: its problem, said
            return 404, {"error": str(exc)}
        try:
            argv = orjson.loads(params.get("argv", "[]"))
        except orjson.JSONDecodeError as exc:  # (an argument that is not UTF-8 text, say)
            return 400, {"error": f"the report's arguments are not JSON text: {exc}"}
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            return 400, {"error": "the report's arguments must be a JSON list of strings"}
        try:
            args = report_parser(name, shipped).parse_args(argv)
        except ArgumentError as exc:
            return 400, {"error": str(exc)}
        if getattr(args, "from_dir", None):  # snapshots are the caller's to read, not the daemon's
            return 400, {"error": "--from DIR is read by the command itself, not by the daemon"}
        out = io.StringIO()
        con = service.reader()
        try:
            code = int(shipped.run(con, args, out))
        finally:
            con.close()
        return 200, {"output": out.getvalue(), "exit": code}

    def sql(params: dict[str, str]) -> tuple[int, Any]:
        from sessiond.daemon import sql as query

        settings, started = service.settings, time.perf_counter()
        con = service.reader()
        try:
            answer = query.run(con, params.get("query", ""), timeout=settings.sql_timeout,
                               max_rows=settings.sql_max_rows)
        except (query.Refused, query.Failed) as exc:
            return 400, {"error": str(exc)}
        except query.TimedOut as exc:
            service.log.warning(events.SQL_TIMEOUT, seconds=settings.sql_timeout,
                                ms=round((time.perf_counter() - started) * 1000, 1))
            return 408, {"error": str(exc)}
        finally:
            con.close()
        service.log.info(events.SQL_QUERY, rows=len(answer.rows), truncated=answer.truncated,
                         ms=round(answer.seconds * 1000, 1))
        return 200, answer.to_wire()  # an array: see `Answer.to_wire` (rows stay out of the audit)

    def publish(params: dict[str, str]) -> tuple[int, Any]:
        from sessiond.daemon.publish import SnapshotError

        if service.settings.publish_dir is None:
            return 400, {"error": "publish_dir is not set (config key publish_dir, or "
                                  "SESSIOND_PUBLISH_DIR)"}
        try:
            return 200, service.publisher.publish_now().as_dict()
        except SnapshotError as exc:
            return 500, {"error": str(exc)}

    def review(route: str) -> Route:
        return lambda params: knowledge(service, route, params, caller()["uid"])

    return {
        ("GET", KNOWLEDGE): review(KNOWLEDGE),
        ("GET", KNOWLEDGE_ITEM): review(KNOWLEDGE_ITEM),
        **{("POST", route): review(route) for route in DECISIONS},
        ("POST", "/report"): report,
        ("POST", "/sql"): sql,
        ("POST", "/publish"): publish,
        ("GET", "/status"): status,
        ("GET", "/metrics"): metrics,
        ("GET", "/parked"): parked,
        ("POST", "/rescan"): rescan,
        ("POST", "/process"): process,
        ("POST", "/reprocess"): reprocess,
        ("POST", "/retry"): retry,
    }
