"""Running the bot process: logging, signals, hot reload and a clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import discord
from loguru import logger

from bot.app import MusicBot
from bot.log import setup_logging
from bot.reload import SettingsReloader
from bot.settings import Settings


def apply_logging(settings: Settings) -> None:
    """(Re)configure logging from settings, with every secret registered for redaction."""
    setup_logging(settings.logging, settings.secrets())


async def run_bot(settings: Settings, config_path: Path | None) -> int:
    """Run until SIGINT/SIGTERM or a fatal error; returns the process exit code."""
    reloader = SettingsReloader(settings, config_path)
    reloader.on_change(lambda _old, new: apply_logging(new))
    bot = MusicBot(settings, reloader=reloader)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()

    def request_stop(signame: str) -> None:
        if not stopping.is_set():
            logger.info("{} received, shutting down", signame)
            stopping.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, request_stop, sig.name)
    reloader.start()
    token = settings.discord.token.get_secret_value() if settings.discord.token else ""
    runner = asyncio.create_task(bot.start(token), name="bot")
    stopper = asyncio.create_task(stopping.wait(), name="stop-signal")
    try:
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner.done() and runner.exception() is not None:
            return _fatal(runner.exception())
        return 0
    finally:
        stopper.cancel()
        await bot.close()
        await reloader.stop()
        if not runner.done():
            runner.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await runner
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        logger.info("stopped")


def _fatal(error: BaseException | None) -> int:
    from bot.db import SchemaOutdatedError

    if isinstance(error, SchemaOutdatedError):
        logger.error("{}", error)
        return 2
    if isinstance(error, discord.LoginFailure):
        logger.error(
            "Discord rejected the bot token. Copy a fresh one from the Developer Portal "
            "(your application > Bot > Reset Token) into discord.token."
        )
        return 2
    if isinstance(error, discord.PrivilegedIntentsRequired):
        logger.error("Discord refused the gateway intents: {}", error)
        return 2
    logger.opt(exception=error).error("the bot stopped on an unexpected error")
    return 1
