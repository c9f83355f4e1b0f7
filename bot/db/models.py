"""The database schema as SQLAlchemy 2 typed declarative models.

Every Discord id (guild, user, channel, role, message) is a ``BigInteger``:
snowflakes do not fit in 32 bits. Timestamps are aware UTC datetimes.
Alembic owns the schema: a change here needs a new revision in ``migrations/``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.db.timestamps import UtcDateTime, utcnow

__all__ = [
    "AuditLog",
    "Base",
    "FeatureFlag",
    "GuildConfig",
    "PlayHistory",
    "Queue",
    "QueueItem",
    "SavedPlaylist",
    "SavedPlaylistItem",
    "UserProfile",
]

# Named constraints keep SQLite batch migrations (copy-and-move) able to find them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Surrogate keys: 64-bit on PostgreSQL; on SQLite only INTEGER PRIMARY KEY autoincrements.
SurrogateKey = BigInteger().with_variant(Integer(), "sqlite")
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base carrying the shared metadata and naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _snowflake_key() -> Mapped[int]:
    return mapped_column(BigInteger, primary_key=True, autoincrement=False)


def _surrogate_key() -> Mapped[int]:
    return mapped_column(SurrogateKey, primary_key=True, autoincrement=True)


def _updated_at() -> Mapped[datetime]:
    return mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class GuildConfig(Base):
    """Per-guild settings an administrator can change."""

    __tablename__ = "guild_configs"

    guild_id: Mapped[int] = _snowflake_key()
    default_volume: Mapped[int] = mapped_column(Integer, default=100)
    dj_role_id: Mapped[int | None] = mapped_column(BigInteger)
    announce_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    stay_247: Mapped[bool] = mapped_column(Boolean, default=False)
    autoplay_mode: Mapped[str] = mapped_column(String(16), default="off")
    max_queue_length: Mapped[int] = mapped_column(Integer, default=500)
    max_track_length_s: Mapped[int | None] = mapped_column(Integer)
    allowed_sources: Mapped[list[str] | None] = mapped_column(JsonDocument)
    # "auto": each member's Discord language; else a catalog locale for everyone.
    language: Mapped[str] = mapped_column(String(16), default="auto")
    vote_skip_ratio: Mapped[float] = mapped_column(Float, default=0.5)
    default_source: Mapped[str] = mapped_column(String(32), default="youtube")
    # SponsorBlock categories to skip; NULL (never set) and [] both skip nothing.
    sponsorblock_categories: Mapped[list[str] | None] = mapped_column(JsonDocument)
    updated_at: Mapped[datetime] = _updated_at()


class Queue(Base):
    """A guild's playback state; its tracks are the ``QueueItem`` rows."""

    __tablename__ = "queues"

    guild_id: Mapped[int] = _snowflake_key()
    current_index: Mapped[int] = mapped_column(Integer, default=0)
    position_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    loop_mode: Mapped[str] = mapped_column(String(16), default="off")
    volume: Mapped[int] = mapped_column(Integer, default=100)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    voice_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    text_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    node_label: Mapped[str | None] = mapped_column(String(64))
    now_playing_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The active audio effects, oldest first: [{"name": "nightcore"}, {"name": "speed",
    # "value": 1.25}]; NULL (saved before effects were kept) means none.
    effects: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonDocument)
    updated_at: Mapped[datetime] = _updated_at()

    items: Mapped[list[QueueItem]] = relationship(
        back_populates="queue",
        order_by="QueueItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class QueueItem(Base):
    """One track of a guild's queue; ``position`` orders the queue."""

    __tablename__ = "queue_items"
    __table_args__ = (UniqueConstraint("guild_id", "position"),)

    id: Mapped[int] = _surrogate_key()
    guild_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("queues.guild_id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    encoded: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(Text)
    length_ms: Mapped[int] = mapped_column(BigInteger)
    uri: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(32))
    requester_id: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    is_autoplay: Mapped[bool] = mapped_column(Boolean, default=False)
    # Text, not String(255): an HTTP source's identifier is the whole URL.
    identifier: Mapped[str] = mapped_column(Text, default="")
    artwork_url: Mapped[str | None] = mapped_column(Text)
    is_stream: Mapped[bool] = mapped_column(Boolean, default=False)
    is_seekable: Mapped[bool] = mapped_column(Boolean, default=True)

    queue: Mapped[Queue] = relationship(back_populates="items")


class UserProfile(Base):
    """A user's preferences; owner of their saved playlists."""

    __tablename__ = "user_profiles"

    user_id: Mapped[int] = _snowflake_key()
    preferences: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    updated_at: Mapped[datetime] = _updated_at()


class SavedPlaylist(Base):
    """A named list of tracks a user saved for later."""

    __tablename__ = "saved_playlists"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = _surrogate_key()
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_profiles.user_id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    items: Mapped[list[SavedPlaylistItem]] = relationship(
        back_populates="playlist",
        order_by="SavedPlaylistItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class SavedPlaylistItem(Base):
    """One track of a saved playlist."""

    __tablename__ = "saved_playlist_items"
    __table_args__ = (UniqueConstraint("playlist_id", "position"),)

    id: Mapped[int] = _surrogate_key()
    playlist_id: Mapped[int] = mapped_column(
        SurrogateKey, ForeignKey("saved_playlists.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    encoded: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(Text)
    length_ms: Mapped[int] = mapped_column(BigInteger)
    uri: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(32))

    playlist: Mapped[SavedPlaylist] = relationship(back_populates="items")


class AuditLog(Base):
    """Who did what, where, and under which correlation id."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_guild_id_created_at", "guild_id", "created_at"),)

    id: Mapped[int] = _surrogate_key()
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    # Indexed alone too: retention deletes by age across all guilds.
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class FeatureFlag(Base):
    """A feature switch: global when ``guild_id`` is NULL, else a guild's override."""

    __tablename__ = "feature_flags"
    __table_args__ = (
        UniqueConstraint("name", "guild_id"),
        # NULLs are distinct in a unique constraint; this keeps one global row per name.
        Index(
            "uq_feature_flags_global_name",
            "name",
            unique=True,
            sqlite_where=text("guild_id IS NULL"),
            postgresql_where=text("guild_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = _updated_at()


class PlayHistory(Base):
    """A track that was played in a guild, for "recently played" and autoplay."""

    __tablename__ = "play_history"
    __table_args__ = (Index("ix_play_history_guild_id_played_at", "guild_id", "played_at"),)

    id: Mapped[int] = _surrogate_key()
    guild_id: Mapped[int] = mapped_column(BigInteger)
    encoded: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)
    identifier: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(32))
    requester_id: Mapped[int | None] = mapped_column(BigInteger)
    # Indexed alone too: retention deletes by age across all guilds.
    played_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    # For /stats: the track's length (0 for a stream; NULL for plays recorded before
    # it was kept) and whether autoplay chose it (then nobody requested it).
    length_ms: Mapped[int | None] = mapped_column(BigInteger)
    is_autoplay: Mapped[bool] = mapped_column(Boolean, default=False)
