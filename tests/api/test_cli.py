"""`python -m bot api-key`: create prints the key once, list hides secrets, revoke works."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bot's data directory (and so its SQLite file) under tmp_path."""
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    return tmp_path


def test_create_list_revoke(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The token is printed by create only; list shows the key; revoke marks it."""
    assert main(["api-key", "create", "--guild", "42", "--scope", "control", "--label", "ci"]) == 0
    created = capsys.readouterr().out.splitlines()
    token = created[1]
    assert created[0] == "API key 1 (control, 42):" and token.startswith("mbk_")
    assert main(["api-key", "list"]) == 0
    listed = capsys.readouterr().out
    assert "control\tguild 42" in listed and "active\tci" in listed
    assert token.rsplit("_", 1)[1] not in listed
    assert main(["api-key", "revoke", "1"]) == 0
    assert main(["api-key", "revoke", "1"]) == 1
    capsys.readouterr()
    main(["api-key", "list"])
    assert "revoked" in capsys.readouterr().out


def test_create_needs_a_guild_or_all_guilds(data_dir: Path) -> None:
    """A key's reach is always chosen on purpose."""
    with pytest.raises(SystemExit):
        main(["api-key", "create", "--scope", "read"])
