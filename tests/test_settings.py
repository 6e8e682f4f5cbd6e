from __future__ import annotations

from pathlib import Path

import pytest

from sessiond.daemon import config
from sessiond.daemon.config import SettingsError
from sessiond.daemon.settings import Settings, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sessiond.toml"
    path.write_text(text)
    return path


def test_defaults_when_nothing_is_set() -> None:
    s = load_settings({}, {})
    assert s.root == Path("/data/user_sessions") and s.settle == 0.25 and s.max_delay == 0.25
    assert s.scan_interval == 300 and s.max_attempts == 8


def test_precedence_flags_over_env_over_toml(tmp_path: Path) -> None:
    config = write(tmp_path, 'root = "/from/toml"\nsettle = 0.5\nscan_interval = 60\n'
                             '[processor.usage]\ninterval = 600\n')
    env = {"SESSIOND_SETTLE": "0.1", "SESSIOND_SCAN_INTERVAL": "30"}
    s = load_settings({"config": str(config), "scan_interval": 10.0}, env)
    assert s.root == Path("/from/toml")
    assert s.settle == 0.1
    assert s.scan_interval == 10.0
    assert s.interval_for("usage", 0.0) == 600.0 and s.interval_for("other", 5.0) == 5.0


@pytest.mark.parametrize("toml, env, flags", [
    ("", {}, {}),
    ('state = "/t/s.duckdb"\nlock_wait = 3\n', {}, {}),
    ('state = "/t/s.duckdb"\nsocket = "/t/ctl.sock"\n', {"SESSIOND_STATE": "/e/s.duckdb"}, {}),
    ('socket = "/t/ctl.sock"\n', {"SESSIOND_LOCK_WAIT": "7"}, {"state": "/f/s.duckdb"}),
    ("", {"SESSIOND_SOCKET": "/e/ctl.sock"}, {"socket": "/f/ctl.sock", "state": "/f/s.duckdb"}),
])
def test_the_commands_find_the_daemon_where_settings_put_it(
    tmp_path: Path, toml: str, env: dict[str, str], flags: dict[str, str]
) -> None:
    """`config.control` (the report's client: no `Settings`) answers what `Settings` does."""
    given = {"config": str(write(tmp_path, toml)), **flags}
    s = load_settings(given, env)
    assert config.control(given, env) == (s.socket_path, s.state, s.lock_wait)


def test_session_data_dir_is_the_root_only_when_nothing_else_sets_it(tmp_path: Path) -> None:
    assert load_settings({}, {"SESSION_DATA_DIR": "/legacy"}).root == Path("/legacy")
    env = {"SESSION_DATA_DIR": "/legacy", "SESSIOND_ROOT": "/new"}
    assert load_settings({}, env).root == Path("/new")
    assert load_settings({"root": "/flag"}, {"SESSION_DATA_DIR": "/legacy"}).root == Path("/flag")


def test_config_from_env_variable(tmp_path: Path) -> None:
    config = write(tmp_path, 'processors = ["lines"]\n')
    assert load_settings({}, {"SESSIOND_CONFIG": str(config)}).processors == ("lines",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("settle = -1\n", "settle: must not be negative"),
        ("bogus = 1\n", "unknown key 'bogus'"),
        ("max_attempts = 0\n", "max_attempts: must be at least 1"),
        ("settle = 3\nmax_delay = 1\n", "max_delay (1.0) must not be shorter than settle"),
        ("root = [1\n", "invalid TOML"),
        ("watch = 'maybe'\n", "watch: expected true or false"),
        ("memory_limit = 512\n", "memory_limit: expected a size such as 512MB"),
        ("memory_limit = '1 lot'\n", "memory_limit: expected a size such as 512MB"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({"config": str(write(tmp_path, text))}, {})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings({"config": str(tmp_path / "nope.toml")}, {})


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().settle = 1.0  # type: ignore[misc]


def test_raising_settle_alone_raises_max_delay_with_it(tmp_path: Path) -> None:
    s = load_settings({"config": str(write(tmp_path, "settle = 2\n"))}, {})
    assert (s.settle, s.max_delay) == (2.0, 2.0)
    s = load_settings({"config": str(write(tmp_path, "settle = 1\nmax_delay = 5\n"))}, {})
    assert (s.settle, s.max_delay) == (1.0, 5.0)
