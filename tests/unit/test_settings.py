"""Settings: file < environment precedence and clear, traceback-free config errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("BOT_"):
            monkeypatch.delenv(key)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A BOT_ variable beats the same key in the file; other file keys stay."""
    path = write(tmp_path, '[logging]\nlevel = "WARNING"\njson = true\n[api]\nport = 9000\n')
    monkeypatch.setenv("BOT_LOGGING__LEVEL", "debug")
    settings = load_settings(path)
    assert settings.logging.level == "DEBUG"
    assert settings.logging.json_lines is True
    assert settings.api.port == 9000


def test_nodes_from_json_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """BOT_LAVALINK__NODES is JSON, as the harness and Docker users set it."""
    monkeypatch.setenv(
        "BOT_LAVALINK__NODES", '[{"label":"a","host":"10.0.0.2","port":2444,"password":"pw12"}]'
    )
    node = load_settings(None).lavalink.nodes[0]
    assert (node.label, node.host, node.port) == ("a", "10.0.0.2", 2444)
    assert node.password.get_secret_value() == "pw12"


def test_example_config_is_valid() -> None:
    """config.example.toml loads as shipped."""
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.lavalink.nodes[0].label == "main"


def test_default_database_is_sqlite_under_data_dir(tmp_path: Path) -> None:
    """No database URL means an SQLite file in the data directory."""
    settings = load_settings(write(tmp_path, f'data_dir = "{tmp_path / "d"}"\n'))
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'd' / 'bot.db'}"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[api]\nport = "eighty"\n', "api.port"),
        ('[discord]\ntokken = "x"\n', "discord.tokken: unknown key"),
        ("[api\nport = 1\n", "not valid TOML"),
        ("[guild_defaults]\nvolume = 500\n", "guild_defaults.volume"),
        ('[lavalink]\nnodes = [{label="a"},{label="a"}]\n', "unique"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, named: str) -> None:
    """Each kind of bad config is a ConfigError naming the key."""
    with pytest.raises(ConfigError, match=named):
        load_settings(write(tmp_path, text))


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**base, **(env or {})},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("text", "token_env", "named"),
    [
        ('[api]\nport = "eighty"\n', True, "api.port"),
        ('[discord]\ntokken = "x"\n', True, "discord.tokken: unknown key"),
        ("[api\nport = 1\n", True, "not valid TOML"),
        ("", False, "discord.token: missing"),
    ],
)
def test_cli_exits_2_without_traceback_or_token(
    tmp_path: Path, text: str, token_env: bool, named: str
) -> None:
    """`python -m bot run` with a bad config exits 2, names the key, shows no traceback."""
    env = {"BOT_DISCORD__TOKEN": TOKEN} if token_env else {}
    result = run_cli("--config", str(write(tmp_path, text)), "run", env=env)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr + result.stdout


def test_check_config_masks_secrets(tmp_path: Path) -> None:
    """check-config on the example plus a token env prints the config with the token masked."""
    result = run_cli(
        "--config",
        str(ROOT / "config.example.toml"),
        "check-config",
        env={"BOT_DISCORD__TOKEN": TOKEN},
    )
    assert result.returncode == 0, result.stderr
    assert '"token": "**********"' in result.stdout
    assert '"password": "**********"' in result.stdout
    assert TOKEN not in result.stdout
    assert "youshallnotpass" not in result.stdout


def test_version_lists_libraries() -> None:
    """`python -m bot version` prints the bot's and its libraries' versions."""
    result = run_cli("version")
    assert result.returncode == 0
    assert '"discord.py": "2.7' in result.stdout
    assert '"mafic": "2.11' in result.stdout
