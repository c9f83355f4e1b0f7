"""API keys for the REST API: stored hashed, shown once, scoped to a guild, revocable.

A key reads ``mbk_<prefix>_<secret>``. The prefix is public and indexed, so a
request costs one lookup; the secret is 32 random bytes, stored only as its
SHA-256 and compared in constant time. A key with ``guild_id`` None works in
every guild (for the operator's own tools).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.database import Database
from bot.db.models import Base, SurrogateKey
from bot.db.timestamps import UtcDateTime, utcnow

__all__ = ["ApiKey", "ApiKeyRecord", "ApiKeyStore", "IssuedKey", "KeyScope", "parse_token"]

TOKEN_PREFIX = "mbk"


class KeyScope(StrEnum):
    """What a key may do: ``read`` looks, ``control`` also acts."""

    READ = "read"
    CONTROL = "control"


class ApiKey(Base):
    """One API key; the secret itself is never stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(SurrogateKey, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    scope: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """A key as the API and the CLI see it (no secret)."""

    id: int
    prefix: str
    guild_id: int | None
    scope: KeyScope
    label: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        """Whether the key was revoked."""
        return self.revoked_at is not None

    def allows_guild(self, guild_id: int) -> bool:
        """Whether the key may touch `guild_id`."""
        return self.guild_id is None or self.guild_id == guild_id


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A freshly created key: `token` is shown to the operator once and never again."""

    record: ApiKeyRecord
    token: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_token(token: str) -> tuple[str, str] | None:
    """Split ``mbk_<prefix>_<secret>`` into prefix and secret; None if it is not that shape."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class ApiKeyStore:
    """Creates, lists, revokes and verifies API keys in the ``api_keys`` table."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(self, *, guild_id: int | None, scope: KeyScope, label: str = "") -> IssuedKey:
        """Store a new key and return it with its token (the only time the token exists)."""
        prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        row = ApiKey(
            prefix=prefix,
            secret_hash=_hash(secret),
            guild_id=guild_id,
            scope=scope.value,
            label=label[:100],
            created_at=utcnow(),
        )
        async with self._db.transaction() as session:
            session.add(row)
        return IssuedKey(_record(row), f"{TOKEN_PREFIX}_{prefix}_{secret}")

    async def list(self, *, include_revoked: bool = True) -> list[ApiKeyRecord]:
        """Every key, oldest first."""
        query = select(ApiKey).order_by(ApiKey.id)
        if not include_revoked:
            query = query.where(ApiKey.revoked_at.is_(None))
        async with self._db.session() as session:
            return [_record(row) for row in await session.scalars(query)]

    async def revoke(self, key_id: int) -> bool:
        """Revoke a key; False when there is no such key or it was already revoked."""
        async with self._db.transaction() as session:
            result = await session.execute(
                update(ApiKey)
                .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def verify(self, token: str) -> ApiKeyRecord | None:
        """The live key `token` belongs to, or None (unknown, malformed, wrong secret, revoked)."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        prefix, secret = parsed
        async with self._db.session() as session:
            row = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        # Hash before looking at the row, so an unknown prefix costs the same.
        candidate = _hash(secret)
        if row is None or not hmac.compare_digest(candidate, row.secret_hash):
            return None
        if row.revoked_at is not None:
            return None
        return _record(row)


def _record(row: ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row.id,
        prefix=row.prefix,
        guild_id=row.guild_id,
        scope=KeyScope(row.scope),
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
