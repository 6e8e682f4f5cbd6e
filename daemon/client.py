"""The CLI's side of the control socket: one HTTP/1.0 request over a Unix socket.

Written out here instead of `http.client`: that module (and the `email` parser it imports)
was a third of the client's import time, for a request whose answer is read to EOF.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson


class DaemonUnavailable(Exception):
    """No daemon answers on the socket (not running, or a stale socket file)."""


def request(
    path: Path, method: str, route: str, params: dict[str, str | None] | None = None,
    *, timeout: float = 600.0,
) -> tuple[int, Any]:
    """Send one request; returns (HTTP status, parsed JSON or text)."""
    query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
    target = route + (f"?{query}" if query else "")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise DaemonUnavailable(f"no daemon on {path}: {exc.strerror}") from exc
        sock.sendall(f"{method} {target} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(1 << 16):  # the server closes after its answer (HTTP/1.0)
            chunks.append(chunk)
    finally:
        sock.close()
    head, sep, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if not sep or len(parts) < 2 or not parts[1].isdigit():
        raise ConnectionError(f"the daemon on {path} gave no HTTP answer: {status_line[:80]!r}")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    if headers.get("content-type", "").startswith("application/json"):
        return int(parts[1]), orjson.loads(body)
    return int(parts[1]), body.decode()
