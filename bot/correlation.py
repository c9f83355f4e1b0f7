"""The correlation id: one per command, carried by a context variable across the bus."""

from __future__ import annotations

import contextvars
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)


def new_correlation_id() -> str:
    """A short random id, unique enough to grep one command's lines out of a day of logs."""
    return secrets.token_hex(8)


def current_correlation_id() -> str | None:
    """The id bound to the running task, if any."""
    return _correlation_id.get()


@contextmanager
def correlation(cid: str | None = None) -> Iterator[str]:
    """Bind `cid` (or a new id) for the duration of the block."""
    value = cid or new_correlation_id()
    token = _correlation_id.set(value)
    try:
        yield value
    finally:
        _correlation_id.reset(token)


def bind_correlation_id(cid: str) -> None:
    """Bind `cid` for the rest of the current task (each task has its own context copy)."""
    _correlation_id.set(cid)
