"""The control socket's routes: each one a small function of the service."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import orjson

from sessiond.daemon.control import Route
from sessiond.daemon.operations import UnknownProcessor

if TYPE_CHECKING:
    from sessiond.daemon.service import Service


def _required(params: dict[str, str], key: str) -> str:
    value = params.get(key)
    if not value:
        raise UnknownProcessor("", [])
    return value


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
        from sessiond.daemon.cli import ArgumentError, report_modules, report_parser

        modules = report_modules()
        name = params.get("name", "")
        if name not in modules:
            return 404, {"error": f"no report {name!r}", "known": sorted(modules)}
        try:
            args = report_parser(name, modules[name]).parse_args(orjson.loads(params.get("argv", "[]")))
        except ArgumentError as exc:
            return 400, {"error": str(exc)}
        out = io.StringIO()
        con = service.reader()
        try:
            code = int(modules[name].run(con, args, out))
        finally:
            con.close()
        return 200, {"output": out.getvalue(), "exit": code}

    return {
        ("POST", "/report"): report,
        ("GET", "/status"): status,
        ("GET", "/metrics"): metrics,
        ("GET", "/parked"): parked,
        ("POST", "/rescan"): rescan,
        ("POST", "/process"): process,
        ("POST", "/reprocess"): reprocess,
        ("POST", "/retry"): retry,
    }
