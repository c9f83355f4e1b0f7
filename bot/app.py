"""The bot process: an AutoShardedBot that owns settings, bus and database and loads the cogs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord.ext import commands
from loguru import logger

from bot import error_reporting, tracing
from bot.bus import EventBus
from bot.command_tree import MusicCommandTree
from bot.errors import UserError
from bot.i18n.translator import CatalogTranslator
from bot.jobs import JobScheduler
from bot.settings import DISCORD_API_BASE, Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from bot.api.port import GuildRef
    from bot.db import Database, FlagCache, GuildSettings, GuildSettingsCache
    from bot.db.shared_cache import SharedCache
    from bot.durable_queue import DurableQueue
    from bot.error_reporting import ErrorReporter
    from bot.guild_directory import GuildDirectory
    from bot.reload import SettingsReloader

EXTENSIONS = ("cogs.audio", "cogs.gateway", "cogs.api", "cogs.worker")


def bot_intents() -> discord.Intents:
    """The only intents a music bot needs: guilds and voice states, nothing privileged."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.voice_states = True
    return intents


def build_bus(settings: Settings) -> EventBus:
    """The in-process bus, or the Redis one that joins the processes of a sharded bot."""
    limits = settings.limits
    if settings.bus.backend == "memory":
        return EventBus(queue_size=limits.bus_queue_size, put_timeout=limits.bus_put_timeout)
    from bot.bus_redis import RedisBus

    assert settings.discord.shard_count is not None  # the settings refuse redis without it
    return RedisBus(
        url=settings.bus.redis_url.get_secret_value(),
        shard_count=settings.discord.shard_count,
        shard_ids=settings.discord.shard_ids,
        prefix=settings.bus.channel_prefix,
        connect_timeout=settings.bus.connect_timeout,
        queue_size=limits.bus_queue_size,
        put_timeout=limits.bus_put_timeout,
    )


def point_at_discord(api_base: str) -> None:
    """Send discord.py's REST calls to `api_base` (Discord itself, or a test double)."""
    discord.http.Route.BASE = api_base


class MusicBot(commands.AutoShardedBot):
    """One process of the music bot; the cogs find their services on it."""

    def __init__(self, settings: Settings, *, reloader: SettingsReloader | None = None) -> None:
        intents = bot_intents()
        # discord.py types these as required, yet its default for both is None (ask Discord).
        optional: dict[str, Any] = {
            "application_id": settings.discord.application_id,
            "shard_ids": settings.discord.shard_ids,
        }
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            tree_cls=MusicCommandTree,
            shard_count=settings.discord.shard_count,
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.from_intents(intents),
            max_messages=None,
            guild_ready_timeout=settings.discord.guild_ready_timeout,
            allowed_mentions=discord.AllowedMentions.none(),
            **optional,
        )
        self._settings = settings
        self.reloader = reloader
        self.bus = build_bus(settings)
        self.directory: GuildDirectory | None = None
        self.jobs = JobScheduler()
        self.db: Database | None = None
        self.durable: DurableQueue | None = None
        self.guild_settings: GuildSettingsCache | None = None
        self.flags: FlagCache | None = None
        self.shared_cache: SharedCache | None = None
        self.started_at = time.monotonic()
        self._trace_provider: TracerProvider | None = None
        self._error_reporter: ErrorReporter | None = None
        point_at_discord(settings.discord.api_base)

    @property
    def settings(self) -> Settings:
        """The current settings, including live-reloaded sections."""
        return self.reloader.settings if self.reloader is not None else self._settings

    async def setup_hook(self) -> None:
        """Open the database, load the cogs and sync slash commands (runs once per login)."""
        self._trace_provider = tracing.start(self.settings.otlp_endpoint)
        self._error_reporter = error_reporting.start(
            self.settings.observability, self.settings.secrets()
        )
        if self.settings.discord.api_base != DISCORD_API_BASE:
            await self._use_gateway_of_api_base()
        await self._open_database()
        await self._join_other_processes()
        for name in EXTENSIONS:
            await self.load_extension(name)
        await self.tree.set_translator(CatalogTranslator())
        await self._sync_commands()

    async def _use_gateway_of_api_base(self) -> None:
        # Discord's GET /gateway names the websocket URL; asking it keeps a
        # non-default api_base (a proxy, a test double) the only setting needed.
        data = await self.http.request(discord.http.Route("GET", "/gateway"))
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(data["url"])

    async def _join_other_processes(self) -> None:
        # Only the Redis bus has other processes to reach; they learn our guilds from it.
        if self.settings.bus.backend != "redis":
            return
        from bot.bus_redis import RedisBus
        from bot.guild_directory import watch_guilds

        assert isinstance(self.bus, RedisBus)
        self.directory = self.bus.directory
        watch_guilds(self, self.directory)
        await self.bus.start()

    def remote_guild(self, guild_id: int) -> GuildRef | None:
        """A guild another process serves (Redis bus), as its owner last announced it."""
        return self.directory.remote(guild_id) if self.directory is not None else None

    async def _open_database(self) -> None:
        from bot.db import Database, FlagCache, FlagStore, GuildSettingsCache, GuildSettingsStore
        from bot.durable_queue import DurableQueue

        db_settings, cache = self.settings.database, self.settings.cache
        self.db = Database(
            self.settings.database_url,
            slow_query_ms=db_settings.slow_query_ms,
            connect_timeout=db_settings.connect_timeout,
        )
        await self.db.connect()
        await self.db.ensure_schema(auto_upgrade=db_settings.auto_upgrade)
        await FlagStore(self.db).seed_defaults()
        # Run by the worker cog; other cogs register their kinds and enqueue here.
        self.durable = DurableQueue(self.db)
        self.shared_cache = await self._open_shared_cache()
        self.guild_settings = GuildSettingsCache(
            GuildSettingsStore(self.db, defaults=self.default_guild_settings),
            ttl=cache.guild_ttl,
            max_size=cache.max_guilds,
            load_timeout=cache.load_timeout,
            shared=self.shared_cache,
        )
        self.flags = FlagCache(
            FlagStore(self.db),
            ttl=cache.guild_ttl,
            max_size=cache.max_guilds,
            load_timeout=cache.load_timeout,
            shared=self.shared_cache,
        )
        logger.info("database ready ({})", self.db.kind)

    async def _open_shared_cache(self) -> SharedCache | None:
        # Several processes (Redis bus) share settings through Redis, so a change made
        # through one is in force in all of them.
        bus = self.settings.bus
        if bus.backend != "redis":
            return None
        from bot.db.shared_cache import SharedCache

        shared = SharedCache(
            url=bus.redis_url.get_secret_value(),
            prefix=bus.channel_prefix,
            ttl=self.settings.cache.guild_ttl,
            connect_timeout=bus.connect_timeout,
        )
        await shared.start()
        return shared

    def default_guild_settings(self, guild_id: int) -> GuildSettings:
        """What a guild gets until its admins change something: `[guild_defaults]` (live)."""
        from bot.db import GuildSettings

        defaults = self.settings.guild_defaults
        return GuildSettings(
            guild_id=guild_id,
            default_volume=defaults.volume,
            autoplay_mode=defaults.autoplay,
            max_queue_length=defaults.max_queue_length,
            max_track_length_s=defaults.max_track_length_s,
            vote_skip_ratio=defaults.vote_skip_ratio,
            default_source=defaults.default_source,
        )

    async def guild_policy(self, guild_id: int) -> GuildSettings:
        """The guild's settings (cached), with this process's defaults where it has none."""
        if self.guild_settings is None:
            return self.default_guild_settings(guild_id)
        return await self.guild_settings.get(guild_id)

    async def update_guild_settings(self, guild_id: int, /, **changes: Any) -> GuildSettings:
        """Validate and store a change of the guild's settings (through the cache)."""
        if self.guild_settings is None:
            raise UserError("settings.no_database")
        return await self.guild_settings.update(guild_id, **changes)

    async def _sync_commands(self) -> None:
        dev_guild = self.settings.discord.dev_guild_id
        if dev_guild is not None:
            guild = discord.Object(dev_guild)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            logger.info("synced {} commands to dev guild {}", len(synced), dev_guild)
        else:
            synced = await self.tree.sync()
            logger.info("synced {} global commands", len(synced))

    async def on_ready(self) -> None:
        """Log readiness; no setup here, as it fires again after every reconnect."""
        logger.info(
            "ready as {} in {} guilds ({} shards)", self.user, len(self.guilds), self.shard_count
        )

    async def close(self) -> None:
        """Unload the cogs (players, jobs, server), then close the gateway, bus and database."""
        await super().close()
        await self.jobs.stop()
        await self.bus.close()
        if self.shared_cache is not None:
            await self.shared_cache.close()
            self.shared_cache = None
        if self.db is not None:
            await self.db.close()
            self.db = None
        await tracing.stop(self._trace_provider)
        self._trace_provider = None
        await error_reporting.stop(self._error_reporter)
        self._error_reporter = None
