"""Shared fixtures: a clean environment for settings, and the end-to-end harness."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from loguru import logger

from tests.e2e.harness import Harness, harness

pytest_plugins = ["tests.tracing_capture"]  # the `exporter` fixture: spans in memory


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No BOT_* variable of the developer's shell leaks into a test; loguru is reset around it."""
    for key in list(os.environ):
        if key.startswith("BOT_"):
            monkeypatch.delenv(key)
    # Every test starts with one INFO sink on stderr, so a failure shows the bot's log.
    logger.remove()
    logger.add(sys.stderr, level="INFO")
    yield
    logger.remove()


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    """Fake Discord + fake Lavalink (fast clock) + the real bot, started and ready."""
    async with harness(tmp_path, clock_speed=1.0) as running:
        yield running
