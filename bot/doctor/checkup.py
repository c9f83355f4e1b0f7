"""`python -m bot doctor`: run every check in order and print each problem with its fix."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import TextIO

import aiohttp

from bot.doctor.database_checks import check_database
from bot.doctor.discord_checks import check_discord
from bot.doctor.lavalink_checks import check_lavalink
from bot.doctor.redis_checks import check_redis
from bot.doctor.report import CheckResult, Report
from bot.settings import ConfigError, Settings, load_settings

__all__ = ["HTTP_TIMEOUT", "doctor", "run_doctor"]

HTTP_TIMEOUT = 10.0


async def run_doctor(config: Path | None, out: TextIO) -> int:
    """Check config, Discord, every Lavalink node, the database and Redis; 0 if all pass."""
    report = Report(out)
    report.line(f"Checking the setup ({f'config file {config}' if config else 'no config file'})")
    settings = _config_result(config, report)
    if settings is not None:
        report.hide(settings.secrets())
        timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            groups: list[tuple[str, Awaitable[list[CheckResult]]]] = [
                ("Discord", check_discord(settings, session)),
                ("Lavalink", check_lavalink(settings, session)),
                ("Database", check_database(settings)),
                ("Redis", check_redis(settings)),
            ]
            for name, checks in groups:
                for result in await _guarded(name, checks):
                    report.add(result)
    report.line(report.summary())
    return 1 if report.failed else 0


def doctor(config: Path | None, out: TextIO = sys.stdout) -> int:
    """The CLI entry point; log lines of the checked libraries stay out of the report."""
    from loguru import logger

    logger.remove()
    return asyncio.run(run_doctor(config, out))


async def _guarded(name: str, checks: Awaitable[list[CheckResult]]) -> list[CheckResult]:
    """A check that crashes is reported as a failed check, not as a traceback."""
    try:
        return await checks
    except Exception as exc:  # the doctor must finish and show every other check
        return [
            CheckResult.fail(
                name,
                f"the check itself failed: {type(exc).__name__}: {exc}",
                "run the doctor again; if this stays, report it with this line",
            )
        ]


def _config_result(config: Path | None, report: Report) -> Settings | None:
    name = "Config"
    try:
        settings = load_settings(config, require_token=True)
    except ConfigError as exc:
        where = f"{config}" if config else "the environment"
        report.add(
            CheckResult.fail(
                name,
                f"invalid ({where}): {exc}".replace("\n", "; "),
                "fix the keys named above; config.example.toml documents every key",
            )
        )
        return None
    source = f"{config}" if config else "environment only"
    nodes = len(settings.lavalink.nodes)
    report.add(CheckResult.ok(name, f"valid ({source}; {nodes} Lavalink node(s))"))
    return settings
