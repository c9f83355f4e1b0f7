"""Command line: `python -m bot [--config PATH] [run | check-config | version | doctor | db]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from bot.api import keys_cli
from bot.settings import ConfigError, Settings, load_settings, masked_dump
from bot.version import versions

EXIT_CONFIG = 2


def build_parser() -> argparse.ArgumentParser:
    """The CLI's arguments and subcommands."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Discord music bot")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="path to config.toml (default: $BOT_CONFIG, else ./config.toml if it exists)",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    sub.add_parser("check-config", help="validate and print the effective config, secrets masked")
    sub.add_parser("version", help="print the bot's and its libraries' versions")
    sub.add_parser(
        "doctor", help="check config, Discord, Lavalink and the database; print each fix"
    )
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply every migration up to the latest")
    db_sub.add_parser("current", help="print the schema revision and the latest one")
    keys_cli.add_parser(sub)
    return parser


def config_path(arg: Path | None) -> Path | None:
    """--config, else $BOT_CONFIG, else ./config.toml when present, else none (env only)."""
    if arg is not None:
        return arg
    if env := os.environ.get("BOT_CONFIG"):
        return Path(env)
    default = Path("config.toml")
    return default if default.exists() else None


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for configuration problems)."""
    args = build_parser().parse_args(argv)
    command = args.command or "run"
    if command == "version":
        print(json.dumps(versions(), indent=2))
        return 0
    path = config_path(args.config)
    if command == "doctor":
        from bot.doctor import doctor

        return doctor(path)
    try:
        settings = load_settings(path, require_token=command == "run")
    except ConfigError as exc:
        print(f"Configuration error{f' in {path}' if path else ''}:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    if command == "check-config":
        print(json.dumps(masked_dump(settings), indent=2))
        return 0
    if command == "db":
        return asyncio.run(_db(settings, args.db_command))
    if command == "api-key":
        return asyncio.run(keys_cli.run(settings, args))
    return _run(settings, path)


def _run(settings: Settings, path: Path | None) -> int:
    from bot.runner import apply_logging, run_bot

    apply_logging(settings)
    return asyncio.run(run_bot(settings, path))


async def _db(settings: Settings, action: str) -> int:
    from bot.db import Database
    from bot.runner import apply_logging

    apply_logging(settings)
    db = Database(settings.database_url, slow_query_ms=settings.database.slow_query_ms)
    await db.connect()
    try:
        if action == "upgrade":
            await db.upgrade()
        current, head = await db.current_revision(), await db.head_revision()
        print(f"database: {db.kind}\ncurrent revision: {current or '(empty)'}\nlatest: {head}")
        return 0 if current == head or action == "current" else 1
    finally:
        await db.close()


if __name__ == "__main__":
    sys.exit(main())
