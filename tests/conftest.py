from __future__ import annotations

from pathlib import Path

import pytest

from sessiond.daemon.log import configure


@pytest.fixture(autouse=True)
def _logging() -> None:
    configure("debug", "json")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state" / "state.duckdb"
