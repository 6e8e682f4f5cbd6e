"""ccusage as a baseline: finding its native binary and pointing it at a corpus.

Install (once; ``bench/.ccusage/`` is git-ignored):

    npm install --prefix bench/.ccusage ccusage@20.0.24

20.0.24 is pinned because it is the newest version whose ``@ccusage/ccusage-linux-x64``
native build the registry serves here (20.0.26's optional native package is missing, and the
JS wrapper then refuses to run). ``$CCUSAGE`` overrides the binary.

ccusage reads ``$CLAUDE_CONFIG_DIR/projects/<project>/**/*.jsonl``; it does **not** follow
symbolic links (a symlinked tree reads as empty), so the corpus is mirrored with hard links
(same file system; no bytes copied) -- or copied when hard links are not possible. ``HOME``
points at an empty folder so no other agent's logs on this machine are picked up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
INSTALL = HERE / ".ccusage"


def binary() -> Path | None:
    env = os.environ.get("CCUSAGE")
    if env:
        return Path(env)
    native = INSTALL / "node_modules" / "@ccusage" / "ccusage-linux-x64" / "bin" / "ccusage"
    if native.exists():
        if not os.access(native, os.X_OK):  # npm 11 unpacks it without its exec bit
            native.chmod(native.stat().st_mode | 0o111)
        return native
    wrapper = INSTALL / "node_modules" / ".bin" / "ccusage"
    return wrapper if wrapper.exists() else None


def install_hint() -> str:
    return "ccusage not installed: npm install --prefix bench/.ccusage ccusage@20.0.24"


def version() -> str | None:
    exe = binary()
    if exe is None:
        return None
    try:
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    return out.stdout.strip() or None


def layout(corpus: Path, dest: Path) -> Path:
    """A CLAUDE_CONFIG_DIR mirroring ``corpus`` (users become projects); returns it."""
    marker = dest / ".source"
    stamp = f"{corpus.resolve()}:{(corpus / 'manifest.json').stat().st_mtime_ns}"
    if marker.exists() and marker.read_text() == stamp:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    projects = dest / "claude" / "projects"
    (dest / "home").mkdir(parents=True)
    for dirpath, _dirs, files in os.walk(corpus):
        rel = os.path.relpath(dirpath, corpus)
        target = projects / rel
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            if not name.endswith(".jsonl"):
                continue
            src = os.path.join(dirpath, name)
            try:
                os.link(src, target / name)
            except OSError:
                shutil.copy2(src, target / name)
    marker.write_text(stamp)
    return dest


def daily(config: Path, *, timeout: float = 1800) -> tuple[float, bytes]:
    """Run ``ccusage daily --json --offline`` on a layout: (wall seconds, stdout)."""
    exe = binary()
    if exe is None:
        raise FileNotFoundError(install_hint())
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(config / "home"),
           "CLAUDE_CONFIG_DIR": str(config / "claude"), "NO_COLOR": "1", "TZ": "UTC"}
    started = time.perf_counter()
    proc = subprocess.run([str(exe), "daily", "--json", "--offline", "--timezone", "UTC"],
                          env=env, capture_output=True, timeout=timeout, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"ccusage failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return wall, proc.stdout
