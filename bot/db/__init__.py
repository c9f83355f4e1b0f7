"""The persistence layer: SQLAlchemy models, stores, caches and schema migrations.

Cogs never write SQL: they use the stores (or the caches in front of them),
which take and return plain dataclasses.
"""

from __future__ import annotations

from bot.db.api_keys import ApiKeyStore
from bot.db.audit import AuditEntry, AuditStore
from bot.db.cache import FlagCache, GuildSettingsCache
from bot.db.database import Database
from bot.db.durable_jobs import DurableJobStore
from bot.db.errors import (
    DatabaseError,
    DatabaseNotConnectedError,
    DatabaseUnavailableError,
    InvalidSettingError,
    SchemaOutdatedError,
)
from bot.db.flags import DEFAULT_FLAGS, FlagStore
from bot.db.guild_settings import GuildSettings, GuildSettingsStore
from bot.db.history import HistoryStore, PlayedTrack
from bot.db.metrics import METRICS, PersistenceMetrics
from bot.db.playlists import PlaylistStore, PlaylistSummary, SavedPlaylistValue
from bot.db.profiles import UserProfileStore
from bot.db.progress_writer import ProgressWriter
from bot.db.queue_store import PlaybackProgress, QueueSnapshot, QueueStore, StoredTrack

__all__ = [
    "DEFAULT_FLAGS",
    "METRICS",
    "ApiKeyStore",
    "AuditEntry",
    "AuditStore",
    "Database",
    "DatabaseError",
    "DatabaseNotConnectedError",
    "DatabaseUnavailableError",
    "DurableJobStore",
    "FlagCache",
    "FlagStore",
    "GuildSettings",
    "GuildSettingsCache",
    "GuildSettingsStore",
    "HistoryStore",
    "InvalidSettingError",
    "PersistenceMetrics",
    "PlaybackProgress",
    "PlayedTrack",
    "PlaylistStore",
    "PlaylistSummary",
    "ProgressWriter",
    "QueueSnapshot",
    "QueueStore",
    "SavedPlaylistValue",
    "SchemaOutdatedError",
    "StoredTrack",
    "UserProfileStore",
]
