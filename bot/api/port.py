"""What the HTTP side needs from the bot, as a protocol and plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

    from bot.api.board import NowPlayingBoard
    from bot.db.api_keys import ApiKeyRecord
    from bot.messages import Command
    from bot.settings import ApiSettings


@dataclass(frozen=True)
class Readiness:
    """Which parts of the bot are ready to serve users."""

    discord: bool
    lavalink: bool
    database: bool

    @property
    def ready(self) -> bool:
        """True when every part is."""
        return self.discord and self.lavalink and self.database


@dataclass(frozen=True)
class GuildRef:
    """A guild the bot is in, and the voice channel the bot is in there (None: not in voice)."""

    id: int
    name: str
    voice_channel_id: int | None


@dataclass(frozen=True)
class NodeInfo:
    """One Lavalink node: its state and, once it reported them, its stats."""

    label: str
    available: bool
    players: int
    state: str = "connecting"
    playing_players: int | None = None
    cores: int | None = None
    system_load: float | None = None
    lavalink_load: float | None = None
    memory_used: int | None = None
    memory_allocated: int | None = None
    uptime_s: float | None = None


@dataclass(frozen=True)
class ProcessInfo:
    """The process at a glance, for `/info`."""

    uptime_s: float
    shard_count: int | None
    shard_ids: list[int] | None
    guilds: int
    latency_ms: float | None
    database: str | None


class KeyVerifier(Protocol):
    """Turns a bearer token into the key it belongs to."""

    async def verify(self, token: str) -> ApiKeyRecord | None:
        """The live key, or None."""


class BotPort(Protocol):
    """The running bot as the HTTP side sees it."""

    @property
    def settings(self) -> ApiSettings:
        """The `[api]` settings in force."""

    @property
    def actor_id(self) -> int:
        """The user id API commands act as (the bot's own)."""

    @property
    def keys(self) -> KeyVerifier | None:
        """API keys, or None while there is no database."""

    @property
    def board(self) -> NowPlayingBoard:
        """What every guild is playing, fed from `discord-bot:ui:now`."""

    @property
    def tracer(self) -> Tracer | None:
        """Spans for requests, or None when tracing is off."""

    async def readiness(self) -> Readiness:
        """Discord connected, a Lavalink node up, the database answering."""

    def process(self) -> ProcessInfo:
        """Uptime, shards, guilds, database kind."""

    def nodes(self) -> list[NodeInfo]:
        """Every configured Lavalink node."""

    def guild(self, guild_id: int) -> GuildRef | None:
        """The guild, if the bot is in it."""

    async def ask(self, command: Command) -> Any:
        """Send a command on `discord-bot:commands` and return the audio side's answer."""
