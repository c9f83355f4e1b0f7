"""What the playback service needs from the outside: guild settings and Discord voice."""

from __future__ import annotations

from typing import Any, Protocol

import mafic


class GuildPolicy(Protocol):
    """What the service needs to know of a guild's settings."""

    default_volume: int
    max_queue_length: int
    max_track_length_s: int | None
    default_source: str
    stay_247: bool
    autoplay_mode: str
    dj_role_id: int | None
    announce_channel_id: int | None
    vote_skip_ratio: float
    allowed_sources: tuple[str, ...] | None
    sponsorblock_categories: tuple[str, ...]


class SettingsWriter(Protocol):
    """Stores a validated partial update of a guild's settings."""

    async def __call__(self, guild_id: int, /, **changes: Any) -> object:
        """Apply `changes`; raises `InvalidSettingError` or a database error."""


class VoicePort(Protocol):
    """The Discord side of voice, implemented by the audio cog with discord.py."""

    def player(self, guild_id: int) -> mafic.Player[Any] | None:
        """The guild's connected player, if any."""

    def bot_channel(self, guild_id: int) -> int | None:
        """The voice channel the bot is in."""

    def listeners(self, guild_id: int, channel_id: int) -> int:
        """How many humans are in the channel."""

    def listener_ids(self, guild_id: int, channel_id: int) -> frozenset[int]:
        """The humans in the channel."""

    def node_label(self, guild_id: int) -> str | None:
        """The Lavalink node the guild's player is on."""

    def has_node(self) -> bool:
        """Whether any Lavalink node can take a player now."""

    async def connect(self, guild_id: int, channel_id: int) -> mafic.Player[Any]:
        """Join (or move to) the channel; raises UserError when the bot may not."""

    async def disconnect(self, guild_id: int) -> None:
        """Leave voice in the guild."""
