"""Database: reachable with the configured URL, and the schema at the newest migration."""

from __future__ import annotations

import asyncio
import socket
import sqlite3

import asyncpg  # type: ignore[import-untyped]
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError

from bot.db import Database
from bot.db.schema import alembic_config
from bot.doctor.causes import causes
from bot.doctor.report import CheckResult
from bot.settings import Settings

__all__ = ["check_database"]

CONNECT_TIMEOUT = 10.0
UPGRADE = "run `python -m bot db upgrade` (back the database up first)"


async def check_database(settings: Settings) -> list[CheckResult]:
    """Connect, then compare the schema revision with the newest one the code ships."""
    db = Database(settings.database_url, connect_timeout=CONNECT_TIMEOUT)
    name = f"Database ({db.kind})"
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT + 1):
            await db.connect()
    except Exception as exc:  # every driver failure becomes a check result
        return [_connect_failure(name, db, exc)]
    try:
        current = await db.current_revision()
        head = await db.head_revision()
    except SQLAlchemyError as exc:
        return [
            CheckResult.ok(name, f"connected to {_where(db)}"),
            CheckResult.fail(
                "Database schema",
                f"cannot read the schema revision ({type(exc).__name__})",
                "check that the database user may read the alembic_version table",
            ),
        ]
    finally:
        await db.close()
    return [
        CheckResult.ok(name, f"connected to {_where(db)}"),
        await _schema_result(settings, current, head),
    ]


async def _schema_result(settings: Settings, current: str | None, head: str | None) -> CheckResult:
    name = "Database schema"
    if current == head:
        return CheckResult.ok(name, f"at the newest migration ({head})")
    pending = await asyncio.to_thread(_pending_migrations, current, head)
    if pending is None:
        return CheckResult.fail(
            name,
            f"the database is at revision {current}, which this version of the bot does not know",
            "a newer version of the bot migrated it: run that version, or restore a backup "
            "made for this one",
        )
    where = f"at {current}" if current else "empty"
    detail = f"{where}, {pending} migration(s) behind the newest ({head})"
    if settings.database.auto_upgrade:
        return CheckResult.ok(
            name, f"{detail}; the bot applies them at start (database.auto_upgrade = true)"
        )
    return CheckResult.fail(
        name, detail, f"{UPGRADE}, or set database.auto_upgrade = true to upgrade at start"
    )


def _where(db: Database) -> str:
    """The file or server, without the URL: the whole URL is masked as a secret."""
    url = db.url
    if db.kind == "sqlite":
        return f"file {url.database}"
    return f"{url.username}@{url.host}:{url.port or 5432}/{url.database}"


def _pending_migrations(current: str | None, head: str | None) -> int | None:
    """How many revisions lie between current and head; None when current is unknown."""
    script = ScriptDirectory.from_config(alembic_config())
    try:
        return sum(1 for _ in script.iterate_revisions(head, current))
    except CommandError:
        return None


def _connect_failure(name: str, db: Database, exc: BaseException) -> CheckResult:
    where = _where(db)
    host = f"{db.url.host}:{db.url.port or 5432}"
    user, database = db.url.username, db.url.database
    for error in causes(exc):
        if isinstance(error, ConnectionRefusedError):
            return CheckResult.fail(
                name,
                f"nothing listens on {host} ({where})",
                "is PostgreSQL running? are host and port in database.url right?",
            )
        if isinstance(error, socket.gaierror):
            return CheckResult.fail(
                name,
                f"the host {db.url.host!r} does not resolve ({where})",
                "fix the host in database.url (with Docker Compose: postgres)",
            )
        if isinstance(error, asyncpg.InvalidPasswordError):
            return CheckResult.fail(
                name,
                f"password authentication failed for user {user!r} ({where})",
                "fix the password in database.url (BOT_DATABASE__URL); special characters "
                "must be URL-encoded",
            )
        if isinstance(error, asyncpg.InvalidAuthorizationSpecificationError):
            return CheckResult.fail(
                name,
                f"PostgreSQL refused user {user!r} ({where})",
                f"create the role (createuser {user} --pwprompt) or fix the user in database.url",
            )
        if isinstance(error, asyncpg.InvalidCatalogNameError):
            return CheckResult.fail(
                name,
                f"the database {database!r} does not exist ({where})",
                f"create it (createdb -O {user} {database}) or fix the name in database.url",
            )
        if isinstance(error, (PermissionError, FileNotFoundError, sqlite3.OperationalError)):
            return CheckResult.fail(
                name,
                f"cannot open the SQLite file ({where}): {type(error).__name__}",
                "data_dir (BOT_DATA_DIR) must be a writable directory for the bot's user",
            )
        if isinstance(error, TimeoutError):
            return CheckResult.fail(
                name,
                f"no answer from {host} within {CONNECT_TIMEOUT:.0f} s ({where})",
                "check host and port in database.url and that a firewall lets this machine in",
            )
    return CheckResult.fail(
        name,
        f"cannot connect to {where}: {type(exc).__name__}",
        "check database.url (BOT_DATABASE__URL) and that the database server is running",
    )


