"""Shared fixtures: a clean environment for settings, and the end-to-end harness."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from loguru import logger

from tests.e2e.harness import Harness, harness


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No BOT_* variable of the developer's shell leaks into a test; loguru is reset after."""
    for key in list(os.environ):
        if key.startswith("BOT_"):
            monkeypatch.delenv(key)
    yield
    logger.remove()


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    """Fake Discord + fake Lavalink (fast clock) + the real bot, started and ready."""
    async with harness(tmp_path, clock_speed=1.0) as running:
        yield running
