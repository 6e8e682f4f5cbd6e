"""The control socket: HTTP/JSON on a Unix socket, served by the running daemon.

The daemon owns the DuckDB file (no other process may open it), so the CLI asks the daemon:
``GET /status``, ``GET /parked``, ``GET /metrics``, ``POST /rescan``, ``POST /process``,
``POST /reprocess``, ``POST /retry``, the reports and the knowledge review (`daemon.api`).
Every request that changes something is logged as an
``audit.*`` event with the peer's uid (``SO_PEERCRED``). The socket is mode 0660.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import socket
import socketserver
import struct
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from sessiond.daemon import events
from sessiond.daemon.client import SUN_PATH
from sessiond.daemon.operations import Busy, UnknownProcessor

Route = Callable[[dict[str, str]], tuple[int, Any]]

# The peer of the request being handled (pid, uid, gid from SO_PEERCRED), for a route that
# records who asked (a review decision); each request runs in its own thread.
_caller: contextvars.ContextVar[dict[str, int]] = contextvars.ContextVar("caller")


def caller() -> dict[str, int]:
    """The peer of the request this thread is handling: ``pid``, ``uid``, ``gid``."""
    return _caller.get()


class ControlError(Exception):
    """The socket cannot be served (path too long, directory missing, ...)."""


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    # Daemon threads, which `server_close` does not wait for: requests in flight are counted
    # here instead, and `ControlServer.stop` waits for them -- a status answered while the daemon
    # stops must not meet the state connection closing under it.
    daemon_threads = True
    allow_reuse_address = False
    routes: dict[tuple[str, str], Route]
    log: Any
    active = 0
    idle: threading.Condition

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.idle:
            self.active += 1
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._done()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._done()

    def _done(self) -> None:
        with self.idle:
            self.active -= 1
            self.idle.notify_all()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    timeout = 30  # seconds a client may take to send its request (a stalled one can't hold a stop)

    def log_message(self, format: str, *args: Any) -> None:
        """http.server's own access log is replaced by audit events."""

    def address_string(self) -> str:
        return "unix"

    def _peer(self) -> dict[str, int]:
        raw = self.request.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, uid, gid = struct.unpack("3i", raw)
        return {"pid": pid, "uid": uid, "gid": gid}

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else orjson.dumps(body, default=str)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        route = self.server.routes.get((method, url.path))
        if route is None:
            self._send(404, {"error": f"no route {method} {url.path}"})
            return
        peer = self._peer()
        _caller.set(peer)
        try:
            status, body = route(params)
        except UnknownProcessor as exc:
            status, body = 404, {"error": str(exc), "known": exc.known}
        except Busy as exc:
            status, body = 409, {"error": f"processor {exc} is running a pass", "busy": True}
        except Exception as exc:  # a bug in a handler: answer and log, keep serving
            self.server.log.error(events.CONTROL_ERROR, path=url.path, error=repr(exc))
            status, body = 500, {"error": repr(exc)}
        if method == "POST":
            self.server.log.info(events.AUDIT, action=url.path.strip("/"), params=params,
                                 status=status, **peer, result=_audited(body))
        if isinstance(body, bytes):
            self._send(status, body, "text/plain; version=0.0.4; charset=utf-8")
        else:
            self._send(status, body)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")


class ControlServer:
    def __init__(self, path: Path, routes: dict[tuple[str, str], Route], log: Any) -> None:
        self.path = path
        if len(os.fsencode(path)) >= SUN_PATH:
            raise ControlError(f"control socket path is too long for a Unix socket: {path}")
        with contextlib.suppress(FileNotFoundError):
            # We hold the state file's lock, so no live daemon owns this: a stale socket.
            path.unlink()
        old_umask = os.umask(0o117)
        try:
            self._server = _Server(os.fspath(path), _Handler)
        except OSError as exc:
            raise ControlError(f"cannot serve control socket {path}: {exc.strerror}") from exc
        finally:
            os.umask(old_umask)
        os.chmod(path, 0o660)
        self._server.routes = routes
        self._server.log = log
        self._server.idle = threading.Condition()
        self._thread = threading.Thread(target=self._server.serve_forever, name="control",
                                        kwargs={"poll_interval": 0.5}, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, wait: float = 30.0) -> bool:
        """Stop serving and wait (up to ``wait`` seconds) for the requests in flight; False if
        some are still running (their state connection must then be left open)."""
        self._server.shutdown()
        self._server.server_close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        server = self._server
        with server.idle:
            return server.idle.wait_for(lambda: server.active == 0, timeout=wait)


def _audited(body: Any) -> Any:
    """What the audit keeps of an answer: its small fields, not a report's text or rows."""
    if not isinstance(body, dict):
        return None
    return {k: v for k, v in body.items() if k not in ("output", "rows")}
