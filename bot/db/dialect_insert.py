"""``INSERT … ON CONFLICT`` for whichever backend a ``Database`` runs on.

SQLite and PostgreSQL spell upserts the same way, but SQLAlchemy keeps their
``Insert`` constructs in separate dialect modules.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["dialect_insert"]


def dialect_insert(kind: str, table: Any) -> Any:
    """Return an ``INSERT`` into ``table`` that supports ``on_conflict_do_*`` on ``kind``."""
    if kind == "postgresql":
        return postgresql.insert(table)
    if kind == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upserts are not implemented for {kind!r}")
