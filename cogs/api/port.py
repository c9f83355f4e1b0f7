"""`bot.api.BotPort` on the running bot: discord.py's cache, mafic's pool, the bus, the keys."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import mafic

from bot import tracing
from bot.api.auth import CachedKeys
from bot.api.board import NowPlayingBoard
from bot.api.port import GuildRef, NodeInfo, ProcessInfo, Readiness
from bot.bus import Channel
from bot.db.api_keys import ApiKeyStore
from bot.guild_directory import guild_ref
from bot.messages import Command
from bot.nodes import nodes_by_label, pool_nodes
from bot.settings import ApiSettings

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

    from bot.app import MusicBot


class DiscordBotPort:
    """What the HTTP server may see of and ask from the bot."""

    def __init__(self, bot: MusicBot, board: NowPlayingBoard) -> None:
        self.bot = bot
        self._board = board
        self._keys = (
            CachedKeys(ApiKeyStore(bot.db), bot.settings.api.key_cache_s)
            if bot.db is not None
            else None
        )

    @property
    def settings(self) -> ApiSettings:
        """The `[api]` section in force."""
        return self.bot.settings.api

    @property
    def actor_id(self) -> int:
        """API commands are requested by the bot itself."""
        return self.bot.user.id if self.bot.user is not None else 0

    @property
    def keys(self) -> CachedKeys | None:
        """The API keys (None without a database)."""
        return self._keys

    @property
    def board(self) -> NowPlayingBoard:
        """Now playing in every guild."""
        return self._board

    @property
    def tracer(self) -> Tracer | None:
        """Spans for API requests: the process's tracer (None: tracing is off)."""
        return tracing.tracer()

    async def readiness(self) -> Readiness:
        """Discord connected, a Lavalink node up, the database answering."""
        db = self.bot.db
        return Readiness(
            discord=self.bot.is_ready() and not self.bot.is_closed(),
            lavalink=bool(pool_nodes()),
            database=db is not None and await db.ping(),
        )

    def process(self) -> ProcessInfo:
        """Uptime, shards, guilds and database kind."""
        latency = self.bot.latency
        return ProcessInfo(
            uptime_s=time.monotonic() - self.bot.started_at,
            shard_count=self.bot.shard_count,
            shard_ids=sorted(self.bot.shards) if self.bot.shards else None,
            guilds=len(self.bot.guilds),
            latency_ms=round(latency * 1000, 1) if latency == latency else None,  # NaN: unknown
            database=self.bot.db.kind if self.bot.db is not None else None,
        )

    def nodes(self) -> list[NodeInfo]:
        """Every configured node, connected or not, with mafic's latest stats."""
        known: dict[str, mafic.Node[Any]] = dict(nodes_by_label())
        audio = self.bot.get_cog("audio")
        connector = getattr(audio, "nodes", None)
        found = []
        for config in self.bot.settings.lavalink.nodes:
            node = known.get(config.label)
            state = connector.state(config.label) if connector is not None else "connecting"
            if node is None:
                found.append(
                    NodeInfo(label=config.label, available=False, players=0, state=state)
                )
                continue
            stats = node.stats
            found.append(
                NodeInfo(
                    label=config.label,
                    available=node.available,
                    players=len(node.players),
                    state=state,
                    playing_players=stats.playing_player_count if stats else None,
                    cores=stats.cpu.cores if stats else None,
                    system_load=stats.cpu.system_load if stats else None,
                    lavalink_load=stats.cpu.lavalink_load if stats else None,
                    memory_used=stats.memory.used if stats else None,
                    memory_allocated=stats.memory.allocated if stats else None,
                    uptime_s=stats.uptime.total_seconds() if stats else None,
                )
            )
        return found

    def guild(self, guild_id: int) -> GuildRef | None:
        """The guild and the bot's voice channel there: from the gateway's cache, or, for a
        guild of another process (Redis bus), as that process announced it."""
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return self.bot.remote_guild(guild_id)
        return guild_ref(guild)

    async def ask(self, command: Command) -> Any:
        """A command on `discord-bot:commands`, answered by the audio side."""
        return await self.bot.bus.request(
            Channel.COMMANDS, command, timeout=self.bot.settings.limits.command_timeout
        )

    def players(self) -> tuple[int, int]:
        """Players that exist, and those playing now (for the gauges)."""
        players = [vc for vc in self.bot.voice_clients if isinstance(vc, mafic.Player)]
        playing = sum(1 for p in players if p.current is not None and not p.paused)
        return len(players), playing
