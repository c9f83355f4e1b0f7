"""Hot reload: live sections apply, invalid files are refused, restart-only keys are reported."""

from __future__ import annotations

import io
import os
import signal
from pathlib import Path

import pytest
from loguru import logger

from bot.log import setup_logging
from bot.reload import SettingsReloader
from bot.settings import Settings, load_settings


@pytest.fixture
def log() -> io.StringIO:
    out = io.StringIO()
    setup_logging(load_settings(None).logging, stream=out)
    yield out
    logger.remove()


def make(tmp_path: Path, level: str = "INFO", port: int = 8080) -> tuple[Path, Settings]:
    path = tmp_path / "config.toml"
    path.write_text(f'[logging]\nlevel = "{level}"\n[api]\nport = {port}\n')
    return path, load_settings(path)


def test_reload_applies_new_log_level(tmp_path: Path, log: io.StringIO) -> None:
    """A changed log level is applied and listeners are told."""
    path, settings = make(tmp_path)
    reloader = SettingsReloader(settings, path)
    seen: list[str] = []
    reloader.on_change(lambda _old, new: seen.append(new.logging.level))
    path.write_text('[logging]\nlevel = "DEBUG"\n[api]\nport = 8080\n')
    assert reloader.reload() is True
    assert reloader.settings.logging.level == "DEBUG"
    assert seen == ["DEBUG"]


def test_invalid_file_is_refused_and_old_settings_stay(tmp_path: Path, log: io.StringIO) -> None:
    """A broken new file changes nothing and says why."""
    path, settings = make(tmp_path, level="WARNING")
    reloader = SettingsReloader(settings, path)
    path.write_text('[logging]\nlevel = "LOUD"\n')
    assert reloader.reload() is False
    assert reloader.settings.logging.level == "WARNING"
    assert "config reload rejected" in log.getvalue()
    assert "logging.level" in log.getvalue()


def test_restart_only_change_is_reported_not_applied(tmp_path: Path, log: io.StringIO) -> None:
    """api.port needs a restart: the running value stays and a warning names it."""
    path, settings = make(tmp_path)
    reloader = SettingsReloader(settings, path)
    path.write_text('[logging]\nlevel = "ERROR"\n[api]\nport = 9999\n')
    reloader.reload()
    assert reloader.settings.api.port == 8080
    assert reloader.settings.logging.level == "ERROR"
    assert "api.port changed; these take effect after a restart" in log.getvalue()


async def test_sighup_triggers_reload(tmp_path: Path, log: io.StringIO) -> None:
    """SIGHUP re-reads the file."""
    import asyncio

    path, settings = make(tmp_path)
    reloader = SettingsReloader(settings, path, poll_interval=3600)
    reloaded = asyncio.Event()
    reloader.on_change(lambda _o, _n: reloaded.set())
    reloader.start()
    try:
        path.write_text('[logging]\nlevel = "DEBUG"\n[api]\nport = 8080\n')
        os.kill(os.getpid(), signal.SIGHUP)
        await asyncio.wait_for(reloaded.wait(), 2)
        assert reloader.settings.logging.level == "DEBUG"
    finally:
        await reloader.stop()


async def test_file_change_triggers_reload(tmp_path: Path, log: io.StringIO) -> None:
    """Editing the file is noticed by the watcher."""
    import asyncio

    path, settings = make(tmp_path)
    reloader = SettingsReloader(settings, path, poll_interval=0.01)
    reloaded = asyncio.Event()
    reloader.on_change(lambda _o, _n: reloaded.set())
    reloader.start()
    try:
        path.write_text('[logging]\nlevel = "TRACE"\n[api]\nport = 8080\n')
        os.utime(path, ns=(1, 1))
        await asyncio.wait_for(reloaded.wait(), 2)
        assert reloader.settings.logging.level == "TRACE"
    finally:
        await reloader.stop()
