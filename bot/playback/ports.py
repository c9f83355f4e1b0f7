"""What the playback service needs from the outside: guild settings and Discord voice."""

from __future__ import annotations

from typing import Any, Protocol

import mafic


class GuildPolicy(Protocol):
    """What the service needs to know of a guild's settings (read-only, as `GuildSettings`)."""

    @property
    def default_volume(self) -> int: ...
    @property
    def max_queue_length(self) -> int: ...
    @property
    def max_track_length_s(self) -> int | None: ...
    @property
    def default_source(self) -> str: ...
    @property
    def stay_247(self) -> bool: ...
    @property
    def autoplay_mode(self) -> str: ...
    @property
    def dj_role_id(self) -> int | None: ...
    @property
    def announce_channel_id(self) -> int | None: ...
    @property
    def vote_skip_ratio(self) -> float: ...
    @property
    def allowed_sources(self) -> tuple[str, ...] | None: ...
    @property
    def sponsorblock_categories(self) -> tuple[str, ...]: ...


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

    async def join_slot(self, guild_id: int) -> None:
        """Wait until a join that can wait fits in the gateway budget of the guild's shard."""

    async def connect(self, guild_id: int, channel_id: int) -> mafic.Player[Any]:
        """Join (or move to) the channel; raises UserError when the bot may not."""

    async def disconnect(self, guild_id: int) -> None:
        """Leave voice in the guild."""
