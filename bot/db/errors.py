"""Exceptions raised by the persistence layer, with text a user can read."""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from bot.i18n.text import Text, plain

__all__ = [
    "DB_UNAVAILABLE_ERRORS",
    "DatabaseError",
    "DatabaseNotConnectedError",
    "DatabaseOutageError",
    "DatabaseUnavailableError",
    "InvalidSettingError",
    "SchemaOutdatedError",
    "is_unreachable",
]


class DatabaseError(Exception):
    """Base class of the persistence layer's own errors."""


class DatabaseNotConnectedError(DatabaseError, RuntimeError):
    """The ``Database`` was never connected, or is already closed."""

    def __init__(self) -> None:
        super().__init__("The database is not connected (connect() not awaited, or closed).")


class DatabaseUnavailableError(DatabaseError):
    """The database could not be reached and no cached value could stand in."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"The bot's storage is unavailable right now, so {what} could not be loaded."
        )


class DatabaseOutageError(DatabaseUnavailableError):
    """Refused without trying: the database was unreachable and has not answered since."""

    def __init__(self) -> None:
        DatabaseError.__init__(self, "The bot's storage is unreachable right now. Try again soon.")


class SchemaOutdatedError(DatabaseError):
    """The database schema is behind the code and automatic upgrade is off."""

    def __init__(self, current: str | None, head: str | None) -> None:
        self.current = current
        self.head = head
        super().__init__(
            f"Database schema is at {current or 'nothing'} but the code needs {head}; "
            "run `python -m bot db upgrade` or enable database.auto_upgrade."
        )


class InvalidSettingError(DatabaseError, ValueError):
    """A guild setting was given a value outside what the bot accepts."""

    def __init__(self, field: str, message: str | Text) -> None:
        self.field = field
        self.reason = str(message)
        """In English, for logs and the REST API."""
        self.reason_text = message if isinstance(message, Text) else plain(message)
        """For people, in their language."""
        super().__init__(f"`{field}`: {self.reason}")


# What a dead or unreachable database raises, whichever driver sits underneath:
# SQLAlchemy wraps DBAPI errors, but asyncpg can surface socket errors directly.
DB_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    SQLAlchemyError,
    OSError,
    asyncio.TimeoutError,
    DatabaseNotConnectedError,
    DatabaseUnavailableError,
)


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` means the server could not be reached (worth retrying later).

    Narrower than ``DB_UNAVAILABLE_ERRORS``: a constraint violation or a bad
    statement is the caller's bug and would fail the same way on every retry.
    """
    if isinstance(exc, DatabaseUnavailableError | OSError | asyncio.TimeoutError):
        return True
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
