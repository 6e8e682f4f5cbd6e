"""The CLI's side of the control socket: one HTTP request over a Unix socket."""

from __future__ import annotations

import http.client
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson


class DaemonUnavailable(Exception):
    """No daemon answers on the socket (not running, or a stale socket file)."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self._path))
        except OSError:
            sock.close()
            raise
        self.sock = sock


def request(
    path: Path, method: str, route: str, params: dict[str, str | None] | None = None,
    *, timeout: float = 600.0,
) -> tuple[int, Any]:
    """Send one request; returns (HTTP status, parsed JSON or text)."""
    query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
    conn = _UnixConnection(path, timeout)
    try:
        conn.request(method, route + (f"?{query}" if query else ""))
        response = conn.getresponse()
        body = response.read()
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        raise DaemonUnavailable(f"no daemon on {path}: {exc.strerror}") from exc
    finally:
        conn.close()
    if response.getheader("Content-Type", "").startswith("application/json"):
        return response.status, orjson.loads(body)
    return response.status, body.decode()
