"""The PostgreSQL fixture: an unreachable server fails loudly unless skipping is asked for."""

from __future__ import annotations

import pytest

from tests.db import conftest


@pytest.fixture
def unreachable_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the fixture at a closed port, with a password that must not be shown."""
    monkeypatch.setattr(
        conftest, "POSTGRES_URL", "postgresql+asyncpg://postgres:hunter2@127.0.0.1:1/postgres"
    )
    monkeypatch.delenv(conftest.SKIP_POSTGRES_VARIABLE, raising=False)


@pytest.mark.usefixtures("unreachable_server")
def test_unreachable_postgres_fails_with_how_to_start_it() -> None:
    """The failure names the URL (password masked) and the command that starts the server."""
    with pytest.raises(pytest.fail.Exception) as failed:
        conftest.open_session_database()
    message = str(failed.value)
    assert "postgresql+asyncpg://postgres:***@127.0.0.1:1/postgres" in message
    assert conftest.START_POSTGRES_COMMAND in message
    assert "TEST_SKIP_POSTGRES=1" in message
    assert "hunter2" not in message


@pytest.mark.usefixtures("unreachable_server")
def test_postgres_tests_skip_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """TEST_SKIP_POSTGRES=1 turns the failure into a skip that says why."""
    monkeypatch.setenv(conftest.SKIP_POSTGRES_VARIABLE, "1")
    with pytest.raises(pytest.skip.Exception, match="TEST_SKIP_POSTGRES"):
        conftest.open_session_database()
