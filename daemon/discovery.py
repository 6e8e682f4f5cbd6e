"""Discovery: which paths under the root are session files, and opening them without escaping it.

A session file is ``<user>/<name>.jsonl`` or ``<user>/<session>/subagents/<name>.jsonl``. Hidden
names (``.x``) anywhere in the path are skipped (upload tools write temp files that way), and
so is anything that is not a regular file. Symlinks are never followed: the walk does not enter
linked folders, and `open_session_file` opens every path component with ``O_NOFOLLOW``, so a
link swapped in after the scan cannot lead outside the root either.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from sessiond.processors.contract import SessionFile
from sessiond.state.cursor import M64, Seen, Stat, seen_stats

SUFFIX = ".jsonl"


def _visible(name: str) -> bool:
    return bool(name) and not name.startswith(".")


def _utf8(text: str) -> bool:
    """Whether a name decoded from the file system is valid UTF-8 (no surrogate escapes).

    Keys are stored as text and logged as JSON; a name with other bytes is not a session file.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_session_name(name: str) -> bool:
    return _visible(name) and name.endswith(SUFFIX) and len(name) > len(SUFFIX)


def classify(key: str) -> SessionFile | None:
    """The session file for a root-relative key (``/``-separated), or None if it is not one."""
    parts = key.split("/")
    if len(parts) == 2:
        user, name = parts
    elif len(parts) == 4 and parts[2] == "subagents":
        user, session, _, name = parts
        if not _visible(session):
            return None
    else:
        return None
    if not _visible(user) or not _is_session_name(name) or ".." in parts or not _utf8(key):
        return None
    return SessionFile(key=key, user=user)


def file_of(key: str) -> SessionFile:
    """The session file of a key known to be one (the walk listed it, or a cursor has it): its
    user is its first part, no check made (`classify` checks)."""
    return SessionFile(key, key.partition("/")[0])


def key_for(root: Path, path: str | bytes) -> str | None:
    """Root-relative key of an absolute path inside the root, or None if it is outside."""
    text = os.fsdecode(path)
    prefix = os.fspath(root).rstrip("/") + "/"
    if not text.startswith(prefix):
        return None
    return text[len(prefix) :]


def stat_of(st: os.stat_result) -> Stat:
    return Stat(st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def walk(
    root: Path, errors: list[str], unreadable: list[str] | None = None
) -> Iterator[tuple[SessionFile, Stat]]:
    """Every session file under the root with its stat: one ``lstat`` per file, no links.

    Folders that exist but cannot be listed are named (root-relative, with a trailing ``/``) in
    ``unreadable``: what was under them is unknown, not gone.
    """
    found = stat_tree(root, errors, unreadable)
    for key, st in zip(found, seen_stats(found.values()), strict=True):
        yield file_of(key), Stat(*st)


def stat_tree(
    root: Path,
    errors: list[str],
    unreadable: list[str] | None = None,
    known: Mapping[str, Seen] | None = None,
    changed: list[str] | None = None,
    folders: list[tuple[str, int]] | None = None,
    watch: Callable[[str], object] | None = None,
) -> dict[str, Seen]:
    """Key -> stat (packed: `cursor.seen`) of every session file under the root (what `walk`
    yields, as a dict); the keys whose stat differs from ``known`` (the previous scan's result)
    go to ``changed``; the folders that hold session files or may come to (``""`` for the root,
    ``user/``, ``user/session/``, ``user/session/subagents/``) go to ``folders`` with their
    inode, as the listing gives it (-1 where it does not: the root, ``subagents`` folders).

    This is the scan's loop, run over 100k files per scan, so it is written for speed: plain
    ints, one pass, no function call per file beyond the ``lstat``, and the UTF-8 check of
    a name only for keys not in ``known``.

    ``watch`` (`watcher.Watcher.adopt`) is called with each of those folders' paths, but the
    root's, right before the folder is listed: a change after the listing has an event then.
    """
    known = known or {}
    changed = [] if changed is None else changed
    out: dict[str, Seen] = {}
    min_len = len(SUFFIX) + 1
    if folders is not None:
        folders.append(("", -1))
    for user in _dirs(os.fspath(root), errors):
        # One user's folders -- its own, then each session's `subagents` -- as (prefix,
        # entries); the walk's structure already makes their files' keys session keys.
        if watch is not None:
            watch(user.path)
        entries = _entries(user.path, errors)
        if entries is None:
            if unreadable is not None:
                unreadable.append(f"{user.name}/")
            continue
        prefix = user.name + "/"
        if folders is not None:
            folders.append((prefix, user.inode()))
        listed = [(prefix, entries)]
        for entry in entries:
            if not entry.name.endswith(SUFFIX) and _visible(entry.name) and entry.is_dir(follow_symlinks=False):
                sub_prefix = f"{prefix}{entry.name}/subagents/"
                sub_path = entry.path + "/subagents"
                if watch is not None:
                    watch(entry.path)  # where a `subagents` folder may appear
                    watch(sub_path)
                agents = _entries(sub_path, errors, missing_ok=True)
                if agents is None:
                    if unreadable is not None:
                        unreadable.append(sub_prefix)
                    continue
                if folders is not None:
                    folders.append((f"{prefix}{entry.name}/", entry.inode()))
                    if agents:
                        folders.append((sub_prefix, -1))
                listed.append((sub_prefix, agents))
        for folder, names in listed:
            for entry in names:
                name = entry.name
                if not name.endswith(SUFFIX) or name[0] == "." or len(name) < min_len:
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError as exc:  # deleted between listing and stat, or unreadable
                    if not isinstance(exc, FileNotFoundError):
                        errors.append(f"{folder}{name}: {exc.strerror}")
                    continue
                if not stat_mod.S_ISREG(st.st_mode):
                    continue
                key = folder + name
                before = known.get(key)
                if before is None and not _utf8(key):
                    errors.append(f"{key!a}: name is not valid UTF-8, skipped")
                    continue
                now = (st.st_size | (st.st_mtime_ns & M64) << 64 | st.st_ino << 128  # `cursor.seen`
                       | (st.st_ctime_ns & M64) << 192)
                if now == before:
                    out[key] = before  # keep the old int: the new one is freed at once
                else:
                    out[key] = now
                    changed.append(key)
    return out


VANISHED = "vanished during the scan"  # a race with a deletion, not something skipped


def _dirs(path: str, errors: list[str]) -> Iterator[os.DirEntry[str]]:
    for entry in _entries(path, errors) or ():
        if _visible(entry.name) and entry.is_dir(follow_symlinks=False):
            yield entry


def _entries(
    path: str, errors: list[str], *, missing_ok: bool = False
) -> list[os.DirEntry[str]] | None:
    """The folder's entries; [] if it is gone, None if it exists but cannot be listed."""
    try:
        with os.scandir(path) as it:
            return list(it)
    except FileNotFoundError:
        if not missing_ok:
            errors.append(f"{path}: {VANISHED}")
        return []
    except NotADirectoryError:
        return []
    except OSError as exc:
        errors.append(f"{path}: {exc.strerror}")
        return None


class NotRegularFile(OSError):
    """The path exists but is not a regular file (FIFO, socket, device, directory)."""


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO for reading must never wait for a writer.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def open_session_file(root: Path, key: str) -> int:
    """Open a session file for reading, refusing links at every step; returns the fd.

    Raises FileNotFoundError if it is gone, NotRegularFile for a FIFO/socket/etc., and OSError
    (ELOOP for a link, EACCES, ...) otherwise.
    """
    parts = key.split("/")
    dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            next_fd = os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
            os.close(dir_fd)
            dir_fd = next_fd
        # Look before opening: opening a device or FIFO can have effects of its own. (The
        # fstat below still decides, should the name be swapped in between.)
        if not stat_mod.S_ISREG(os.stat(parts[-1], dir_fd=dir_fd, follow_symlinks=False).st_mode):
            raise NotRegularFile(f"{key} is not a regular file")
        fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=dir_fd)
    except NotRegularFile:
        raise
    except OSError as exc:
        # ELOOP: a link; ENOTDIR: a link or file on the way; ENXIO: a socket (open(2) refuses)
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENXIO):
            raise NotRegularFile(f"{key}: a symbolic link, socket or not a directory") from exc
        raise
    finally:
        os.close(dir_fd)
    try:
        mode = os.fstat(fd).st_mode
        if not stat_mod.S_ISREG(mode):
            raise NotRegularFile(f"{key} is not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd
