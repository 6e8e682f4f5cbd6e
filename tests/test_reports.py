"""Reports are plugins: a processor ships its report (`Processor.report`), found through the same
entry point -- or the same ``package.module:Class`` name -- as the processor, so a third party's
processor gets ``sessiond report NAME`` too, through the running daemon or on the state file.

The third party here is `tests.plugin.PromptIndex`, installed the way pip installs a plugin: a
``.dist-info`` folder with its ``entry_points.txt`` on the path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from tests.harness import REPO, Daemon, cli, run_once, wait_until
from tests.test_verification_support import Transcript, write


def _installed(tmp_path: Path) -> dict[str, str]:
    """An environment where the prompts processor is installed as a plugin (and a broken one)."""
    dist = tmp_path / "site" / "sessiond_prompts-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sessiond-prompts\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[sessiond.processors]\nprompts = tests.plugin:PromptIndex\n"
        "broken = tests.no_such_module:Processor\n")
    return {"PYTHONPATH": os.pathsep.join([str(REPO), str(tmp_path / "site")])}


def _tree(root: Path) -> None:
    write(root, "alice/a.jsonl", Transcript("sa").user("run the tests").user("ship it").jsonl())
    write(root, "bob/b.jsonl", Transcript("sb").user("run the tests").jsonl())


def _report(state: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return cli("report", *args, "--state", str(state), env=env)


def _daemon(root: Path, state: Path, tmp_path: Path, processors: str, env: dict[str, str] | None = None) -> Daemon:
    config = tmp_path / "sessiond.toml"
    config.write_text("settle = 0.05\nmax_delay = 0.5\n")
    d = Daemon("--root", str(root), "--state", str(state), "--config", str(config),
               "--processors", processors, env=env)
    d.wait_for("control.started")
    return d


def test_a_plugin_ships_its_report_through_its_entry_point(tmp_path: Path) -> None:
    root, state, env = tmp_path / "root", tmp_path / "state" / "s.duckdb", _installed(tmp_path)
    _tree(root)
    done = run_once("--root", str(root), "--state", str(state), "--processors", "prompts", env=env)
    assert done.returncode == 0, done.stderr
    listed = cli("report", "--help", env=env).stdout.decode()
    assert "prompts" in listed and "usage" in listed and "broken" not in listed
    offline = _report(state, "prompts", "--json", env=env)
    assert offline.returncode == 0, offline.stderr
    prompts = orjson.loads(offline.stdout)["prompts"]
    assert [(p["uses"], p["users"], p["first_file"]) for p in prompts] == [
        (2, 2, "alice/a.jsonl"), (1, 1, "alice/a.jsonl")]
    broken = _report(state, "broken", env=env)
    assert broken.returncode == 2 and b"cannot load tests.no_such_module:Processor" in broken.stderr

    d = _daemon(root, state, tmp_path, "prompts", env)
    try:
        answered = _report(state, "prompts", "--json", env=env)  # the daemon holds the file
        assert answered.returncode == 0 and orjson.loads(answered.stdout)["prompts"] == prompts
        refused = _report(state, "prompts", "--limit", "0", env=env)  # the report's own refusal
        assert refused.returncode == 2 and refused.stdout == b"sessiond: --limit must be at least 1\n"
        bad = _report(state, "prompts", "--limit", "x", env=env)  # its arguments, parsed there
        assert bad.returncode == 2 and b"invalid int value" in bad.stderr
        broken = _report(state, "broken", env=env)
        assert broken.returncode == 2 and b"cannot load" in broken.stderr
    finally:
        assert d.stop() == 0


def test_a_processor_named_by_its_class_ships_its_report_too(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "state" / "s.duckdb"
    _tree(root)
    plugin = "tests.plugin:PromptIndex"
    assert run_once("--root", str(root), "--state", str(state), "--processors", plugin).returncode == 0
    assert _report(state, "prompts").returncode == 2  # not installed, not configured: unknown
    config = tmp_path / "with-plugin.toml"
    config.write_text(f'processors = ["{plugin}"]\n')
    offline = _report(state, "prompts", "--config", str(config))
    assert offline.returncode == 0, offline.stderr
    d = _daemon(root, state, tmp_path, plugin)
    try:
        answered = _report(state, "prompts", "--json")  # the daemon knows what it runs
        assert answered.returncode == 0, answered.stderr
        assert orjson.loads(answered.stdout)["prompts"][0]["uses"] == 2
    finally:
        assert d.stop() == 0


def test_the_client_imports_no_report_when_the_daemon_answers(tmp_path: Path) -> None:
    """Nor the other commands, `Settings` (dataclasses) or orjson: ~40 ms of the command."""
    root, state = tmp_path / "root", tmp_path / "state" / "s.duckdb"
    _tree(root)
    d = _daemon(root, state, tmp_path, "usage")
    try:
        wait_until(lambda: _report(state, "usage", "--by", "user", "--json").returncode == 0,
                   what="the report through the daemon")
        probe = (
            "import sys\n"
            "from sessiond.daemon.cli import main\n"
            f"code = main(['report', 'usage', '--by', 'user', '--json', '--state', {str(state)!r}])\n"
            "heavy = ('duckdb', 'pyarrow', 'sessiond.processors.usage.report', "
            "'sessiond.daemon.registry', 'sessiond.daemon.commands', 'sessiond.daemon.settings', "
            "'orjson', 'dataclasses')\n"
            "print([m for m in heavy if m in sys.modules], file=sys.stderr)\n"
            "raise SystemExit(code)\n")
        result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                                env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stderr.decode().strip().splitlines()[-1] == "[]"
        assert "users" in orjson.loads(result.stdout)
    finally:
        assert d.stop() == 0



def test_the_report_on_the_state_file_converts_nothing_to_arrow(tmp_path: Path) -> None:
    """Without a daemon, `report usage` reads the state with duckdb alone: the price table is
    written with bound values, so pyarrow is never imported (~50 ms of the command)."""
    state = tmp_path / "s.duckdb"
    done = run_once("--root", str(REPO / "examples" / "user_sessions"), "--state", str(state),
                    "--processors", "usage")
    assert done.returncode == 0, done.stderr
    probe = (
        "import sys\n"
        "from sessiond.daemon.cli import main\n"
        f"code = main(['report', 'usage', '--by', 'day', '--json', '--state', {str(state)!r},\n"
        f"             '--socket', {str(tmp_path / 'none.sock')!r}])\n"
        "print([m for m in ('duckdb', 'pyarrow') if m in sys.modules], file=sys.stderr)\n"
        "raise SystemExit(code)\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr.decode().strip().splitlines()[-1] == "['duckdb']"
    totals = orjson.loads(result.stdout)["totals"]
    assert totals["totalCost"] > 0 and totals["inputTokens"] > 0  # priced through that table


def test_a_report_imports_its_own_processor_only(tmp_path: Path) -> None:
    """`report usage` finds its report through the entry point of that name: no other processor
    is imported (verification's rules were a third of the command's time); a report whose
    processor is installed under another entry point name is still found by the full search."""
    probe = ("import sys; from sessiond.daemon.registry import load_report; "
             "load_report(sys.argv[1]); print(sorted(m for m in sys.modules "
             "if m.startswith('sessiond.processors.') and m.count('.') == 2))")
    env = {**os.environ, **_installed(tmp_path)}
    usage = subprocess.run([sys.executable, "-c", probe, "usage"], capture_output=True, text=True,
                           env=env, cwd=tmp_path, check=True)
    assert "sessiond.processors.usage" in usage.stdout
    assert "verification" not in usage.stdout and "lines" not in usage.stdout
    # PromptIndex is installed as "prompts" and named "prompts": found directly as well
    prompts = subprocess.run([sys.executable, "-c", probe, "prompts"], capture_output=True,
                             text=True, env=env, cwd=tmp_path, check=True)
    assert "verification" not in prompts.stdout
