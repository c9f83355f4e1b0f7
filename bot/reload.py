"""Hot reload of the settings that can change while the bot runs.

Triggered by SIGHUP or by a change of the config file's modification time.
The new file is validated as a whole; if it is invalid the old settings stay
and one error line says why. Of a valid file, only the live sections
(`bot.settings.LIVE_SECTIONS`) are applied; a changed restart-only key is
reported with a warning and otherwise ignored until the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loguru import logger

from bot.metrics import CONFIG_RELOADS
from bot.settings import (
    LIVE_SECTIONS,
    RESTART_ONLY_KEYS,
    ConfigError,
    Settings,
    load_settings,
)

Listener = Callable[[Settings, Settings], None]


def _changed_keys(old: Settings, new: Settings) -> list[tuple[str, str]]:
    changed: list[tuple[str, str]] = []
    old_dump, new_dump = old.model_dump(), new.model_dump()
    for section, value in new_dump.items():
        before = old_dump.get(section)
        if isinstance(value, dict) and isinstance(before, dict):
            changed += [(section, k) for k in value if value[k] != before.get(k)]
        elif value != before:
            changed.append((section, ""))
    return changed


class SettingsReloader:
    """Owns the current Settings and swaps in the live parts of a changed config file."""

    def __init__(self, settings: Settings, path: Path | None, *, poll_interval: float = 2.0):
        self.settings = settings
        self.path = path
        self.poll_interval = poll_interval
        self._listeners: list[Listener] = []
        self._mtime = self._read_mtime()
        self._task: asyncio.Task[None] | None = None

    def on_change(self, listener: Listener) -> None:
        """Call `listener(old, new)` after each applied reload."""
        self._listeners.append(listener)

    def reload(self) -> bool:
        """Re-read the config now; returns whether new settings were applied."""
        try:
            candidate = load_settings(self.path)
        except ConfigError as exc:
            CONFIG_RELOADS.labels("rejected").inc()
            logger.error("config reload rejected, keeping the running settings: {}", exc)
            return False
        changed = _changed_keys(self.settings, candidate)
        needs_restart = [
            f"{s}.{k}" if k else s
            for s, k in changed
            if s not in LIVE_SECTIONS or (s, k) in RESTART_ONLY_KEYS
        ]
        if needs_restart:
            logger.warning(
                "config reload: {} changed; these take effect after a restart",
                ", ".join(needs_restart),
            )
        live: dict[str, Any] = {s: getattr(candidate, s) for s in LIVE_SECTIONS}
        if "logging" in live:
            kept = {k: getattr(self.settings.logging, k) for _, k in RESTART_ONLY_KEYS}
            live["logging"] = live["logging"].model_copy(update=kept)
        old, self.settings = self.settings, self.settings.model_copy(update=live)
        applied = [f"{s}.{k}" for s, k in changed if f"{s}.{k}" not in needs_restart]
        CONFIG_RELOADS.labels("applied").inc()
        logger.info("config reloaded; applied: {}", ", ".join(applied) or "nothing changed")
        for listener in self._listeners:
            try:
                listener(old, self.settings)
            except Exception:
                logger.exception("config reload listener failed")
        return True

    def start(self) -> None:
        """Watch the file and listen for SIGHUP (where the platform has it)."""
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, AttributeError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, self.reload)
        if self.path is not None:
            self._task = asyncio.create_task(self._watch(), name="config-watch")

    async def stop(self) -> None:
        """Stop watching."""
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, AttributeError, RuntimeError):
            loop.remove_signal_handler(signal.SIGHUP)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _read_mtime(self) -> int | None:
        if self.path is None:
            return None
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            mtime = self._read_mtime()
            if mtime is not None and mtime != self._mtime:
                self._mtime = mtime
                self.reload()
