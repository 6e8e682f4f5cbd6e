"""The linters as tests, so `.ci/run` (the README's second command) runs them too."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.harness import REPO


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *cmd], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.timeout(300)
def test_ruff_finds_nothing() -> None:
    done = _run("ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.timeout(300)
def test_mypy_strict_finds_nothing() -> None:
    done = _run("mypy")  # [tool.mypy] in pyproject.toml: strict, the sessiond package
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.timeout(300)
def test_the_wheel_holds_one_package_named_sessiond(tmp_path: Path) -> None:
    """`pip install .` must not put `daemon` (python-daemon's import name), `processors` or
    `state` at the top of site-packages: the wheel's top-level names are checked."""
    done = _run("pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), ".")
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = tmp_path.glob("sessiond-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"sessiond", wheel.name.split("-py")[0] + ".dist-info"}
    assert {"sessiond/daemon/cli.py", "sessiond/processors/usage/prices.toml",
            "sessiond/state/store.py", "sessiond/py.typed"} <= set(names)
