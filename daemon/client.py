"""The CLI's side of the control socket: one HTTP/1.0 request over a Unix socket.

Written out here instead of `http.client`: that module (and the `email` parser it imports)
was a third of the client's import time, for a request whose answer is read to EOF. Answers
are parsed by the standard library's `json`: importing orjson costs a command ~15 ms (it
imports dataclasses, uuid and more), more than parsing any answer but the largest reports.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_DOWN, EXIT_BUSY = 0, 1, 2, 2, 75
SUN_PATH = 108  # bytes of a Unix socket's path on Linux, its terminating NUL included


class DaemonUnavailable(Exception):
    """No daemon answers on the socket (not running, or a stale socket file)."""


class DaemonUnreachable(ConnectionError):
    """A daemon is there but this command cannot talk to it: its socket is not this user's
    (mode 0660: the daemon's user and group), or it closed the connection, gave no HTTP answer
    or none in time. The command says so (`daemon.cli`) rather than opening the state file the
    daemon holds."""


def request(
    path: Path, method: str, route: str, params: dict[str, str | None] | None = None,
    *, timeout: float = 600.0,
) -> tuple[int, Any]:
    """Send one request; returns (HTTP status, parsed JSON or text)."""
    if len(os.fsencode(path)) >= SUN_PATH:  # no daemon can listen there (`control.ControlServer`)
        raise DaemonUnavailable(f"no daemon on {path}: the path is too long for a Unix socket")
    query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
    target = route + (f"?{query}" if query else "")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(str(path))
        except (FileNotFoundError, NotADirectoryError, ConnectionRefusedError) as exc:
            raise DaemonUnavailable(f"no daemon on {path}: {exc.strerror}") from exc
        except PermissionError as exc:
            raise DaemonUnreachable(
                f"cannot talk to the daemon on {path}: {exc.strerror} (the socket is for the "
                "daemon's user and group)") from exc
        try:
            sock.sendall(f"{method} {target} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
            chunks = []
            while chunk := sock.recv(1 << 16):  # the server closes after its answer (HTTP/1.0)
                chunks.append(chunk)
        except (ConnectionResetError, BrokenPipeError) as exc:  # it stopped while answering
            raise DaemonUnreachable(f"the daemon on {path} closed the connection: "
                                    f"{exc.strerror}") from exc
        except TimeoutError as exc:
            raise DaemonUnreachable(f"the daemon on {path} did not answer within "
                                    f"{timeout:g} s") from exc
    finally:
        sock.close()
    head, sep, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if not sep or len(parts) < 2 or not parts[1].isdigit():
        raise DaemonUnreachable(f"the daemon on {path} gave no HTTP answer: {status_line[:80]!r}")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    if headers.get("content-type", "").startswith("application/json"):
        return int(parts[1]), json.loads(body)
    return int(parts[1]), body.decode()


def ask(socket_path: Path, state: Path, lock_wait: float, method: str, route: str,
        params: dict[str, str | None]) -> tuple[int, Any] | None:
    """The daemon's answer, or None when no daemon runs. A daemon that is starting (its start
    marker beside ``state``, `daemon.starting`) is waited for -- up to ``lock_wait`` seconds --
    and asked: opening the state file under it could keep it from starting."""
    deadline = time.monotonic() + lock_wait
    while True:
        try:
            return request(socket_path, method, route, params)
        except DaemonUnavailable:
            pass
        from sessiond.daemon.starting import starting  # (only when no daemon answered)

        if starting(state) is None or time.monotonic() > deadline:
            # gone since: one more try, its socket may have come up just before
            try:
                return request(socket_path, method, route, params)
            except DaemonUnavailable:
                return None
        time.sleep(0.05)


def fail(status: int, body: Any) -> int:
    """Say what the daemon refused, on stderr; the command's exit status for it."""
    print(f"sessiond: {body.get('error', body) if isinstance(body, dict) else body}", file=sys.stderr)
    if status == 409:
        return EXIT_BUSY
    if status in (400, 404):  # bad arguments, unknown name: as argparse would exit
        return EXIT_USAGE
    return EXIT_ERRORS


def report(socket_path: Path, state: Path, lock_wait: float, name: str,
           argv: list[str]) -> int | None:
    """The running daemon's report ``name`` with its own arguments ``argv`` (the daemon parses
    them), written to stdout; its exit status, or None when no daemon answers."""
    answer = ask(socket_path, state, lock_wait, "POST", "/report",
                 {"name": name, "argv": json.dumps(argv)})
    if answer is None:
        return None
    status, body = answer
    if status != 200:
        return fail(status, body)
    sys.stdout.write(body["output"])
    return int(body["exit"])
