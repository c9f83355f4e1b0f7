"""Per-guild settings: a frozen value at the boundary, validated partial updates."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete

from bot.db.database import Database
from bot.db.dialect_insert import dialect_insert
from bot.db.errors import InvalidSettingError
from bot.db.models import GuildConfig
from bot.db.timestamps import utcnow
from bot.i18n.locale import AUTO, language_choices
from bot.i18n.text import Text, t

__all__ = ["AUTOPLAY_MODES", "GuildSettings", "GuildSettingsStore", "validate_changes"]

AUTOPLAY_MODES = frozenset({"off", "similar", "artist", "genre", "mixed"})
_SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_CATEGORY_NAME = re.compile(r"^[a-z][a-z_]{0,31}$")


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A guild's settings; a guild that never changed anything gets the store's defaults."""

    guild_id: int
    default_volume: int = 100
    dj_role_id: int | None = None
    announce_channel_id: int | None = None
    stay_247: bool = False
    autoplay_mode: str = "off"
    max_queue_length: int = 500
    max_track_length_s: int | None = None
    allowed_sources: tuple[str, ...] | None = None
    language: str = AUTO
    vote_skip_ratio: float = 0.5
    default_source: str = "youtube"
    sponsorblock_categories: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: GuildConfig) -> GuildSettings:
        """Build the value from a ``GuildConfig`` row."""
        values = {name: getattr(row, name) for name in _FIELD_NAMES}
        sources = values["allowed_sources"]
        values["allowed_sources"] = tuple(sources) if sources is not None else None
        values["sponsorblock_categories"] = tuple(values["sponsorblock_categories"] or ())
        return cls(guild_id=row.guild_id, **values)

    def allows_source(self, source: str) -> bool:
        """Return whether tracks from ``source`` may be queued in this guild."""
        return self.allowed_sources is None or source in self.allowed_sources


def _int_in(low: int, high: int) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(t("settings.reason.whole_number", low=low, high=high))
        return value

    return check


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def _snowflake(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise ValueError(t("settings.reason.discord_id"))
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(t("settings.reason.boolean"))
    return value


def _autoplay_mode(value: Any) -> str:
    if value not in AUTOPLAY_MODES:
        raise ValueError(t("settings.reason.one_of", choices=", ".join(sorted(AUTOPLAY_MODES))))
    return str(value)


def _ratio(value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and 0.0 <= value <= 1.0)
    ):
        raise ValueError(t("settings.reason.ratio"))
    return float(value)


def _source(value: Any) -> str:
    if not isinstance(value, str) or not _SOURCE_NAME.match(value):
        raise ValueError(t("settings.reason.source"))
    return value


def _sources(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(t("settings.reason.sources"))
    return tuple(dict.fromkeys(_source(item) for item in value))


def _categories(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(t("settings.reason.categories"))
    if not all(isinstance(item, str) and _CATEGORY_NAME.match(item) for item in value):
        raise ValueError(t("settings.reason.category_names"))
    return tuple(sorted(set(value)))


def _language(value: Any) -> str:
    accepted = language_choices()
    if value not in accepted:
        raise ValueError(t("settings.reason.one_of", choices=", ".join(accepted)))
    return str(value)


_VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "default_volume": _int_in(0, 200),
    "dj_role_id": _optional(_snowflake),
    "announce_channel_id": _optional(_snowflake),
    "stay_247": _boolean,
    "autoplay_mode": _autoplay_mode,
    "max_queue_length": _int_in(1, 10_000),
    "max_track_length_s": _optional(_int_in(1, 7 * 24 * 3600)),
    "allowed_sources": _optional(_sources),
    "language": _language,
    "vote_skip_ratio": _ratio,
    "default_source": _source,
    "sponsorblock_categories": _categories,
}
_FIELD_NAMES = tuple(_VALIDATORS)


def validate_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise a partial update; ``InvalidSettingError`` names the bad field."""
    clean: dict[str, Any] = {}
    for field, value in changes.items():
        validator = _VALIDATORS.get(field)
        if validator is None:
            raise InvalidSettingError(field, t("settings.reason.unknown_setting"))
        try:
            clean[field] = validator(value)
        except ValueError as exc:
            reason = exc.args[0] if exc.args else ""
            shown = reason if isinstance(reason, Text) else str(reason)
            raise InvalidSettingError(field, shown) from None
    return clean


def _check_consistency(settings: GuildSettings) -> None:
    if settings.allowed_sources is not None and not settings.allows_source(settings.default_source):
        raise InvalidSettingError(
            "default_source",
            t("settings.reason.source_not_allowed", source=settings.default_source),
        )


class GuildSettingsStore:
    """Reads and writes ``GuildConfig`` rows as ``GuildSettings`` values.

    A guild without a row gets ``defaults(guild_id)``: the process's configured
    guild defaults, or the ``GuildSettings`` field defaults when none are given.
    The first ``update`` stores a whole row, the defaults of that moment
    included, so later changes to the configured defaults no longer reach it.
    """

    def __init__(
        self, database: Database, defaults: Callable[[int], GuildSettings] | None = None
    ) -> None:
        self._db = database
        self._defaults = defaults or GuildSettings

    def defaults(self, guild_id: int) -> GuildSettings:
        """What a guild that never changed anything gets."""
        return self._defaults(guild_id)

    async def get(self, guild_id: int) -> GuildSettings:
        """Return the guild's settings, the defaults if it never changed any."""
        stored = await self.get_stored(guild_id)
        return stored if stored is not None else self._defaults(guild_id)

    async def get_stored(self, guild_id: int) -> GuildSettings | None:
        """Return the guild's stored row as settings, None if it never changed any."""
        async with self._db.session() as session:
            row = await session.get(GuildConfig, guild_id)
        return GuildSettings.from_row(row) if row else None

    async def update(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Validate and apply a partial update in one transaction; return the result."""
        clean = validate_changes(changes)
        async with self._db.transaction() as session:
            row = await session.get(GuildConfig, guild_id, with_for_update=True)
            current = GuildSettings.from_row(row) if row else self._defaults(guild_id)
            updated = dataclasses.replace(current, **clean)
            _check_consistency(updated)
            values = _row_values(updated)
            insert = dialect_insert(self._db.kind, GuildConfig).values(guild_id=guild_id, **values)
            await session.execute(
                insert.on_conflict_do_update(index_elements=[GuildConfig.guild_id], set_=values)
            )
        return updated

    async def reset(self, guild_id: int) -> GuildSettings:
        """Forget the guild's settings so the defaults apply again."""
        async with self._db.transaction() as session:
            await session.execute(delete(GuildConfig).where(GuildConfig.guild_id == guild_id))
        return self._defaults(guild_id)


def _row_values(settings: GuildSettings) -> dict[str, Any]:
    values = {name: getattr(settings, name) for name in _FIELD_NAMES}
    if values["allowed_sources"] is not None:
        values["allowed_sources"] = list(values["allowed_sources"])
    values["sponsorblock_categories"] = list(values["sponsorblock_categories"])
    values["updated_at"] = utcnow()
    return values
