"""Which guilds the other processes serve, so one process's REST API can name them all.

With the Redis bus, each process announces its guilds (name, and the voice
channel the bot is in there) in a Redis hash and on a pub/sub channel; every
process keeps a copy of the hash in memory, refreshed on each (re)connect and
kept current by the announcements. The API looks guilds up synchronously, so
the copy answers, never Redis. A guild's owner alone writes its entry, and
entries outlive their process: an API call for the guild of a stopped process
then says "unreachable", not "I'm not in that server".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from loguru import logger
from redis.exceptions import RedisError

from bot.api.port import GuildRef

if TYPE_CHECKING:
    import discord
    from redis.asyncio import Redis

    from bot.app import MusicBot

__all__ = ["GuildDirectory", "guild_ref", "watch_guilds"]

DIRECTORY_NAME = "discord-bot:guilds"


def guild_ref(guild: discord.Guild) -> GuildRef:
    """The guild and the voice channel the bot is in there (None: not in voice)."""
    me = guild.me
    channel = me.voice.channel if me is not None and me.voice is not None else None
    return GuildRef(id=guild.id, name=guild.name, voice_channel_id=channel.id if channel else None)


class GuildDirectory:
    """Every process's guilds as last announced, read from memory; this process's, announced."""

    def __init__(self, redis: Redis, *, owns: Callable[[int], bool], prefix: str = "") -> None:
        self._redis = redis
        self._owns = owns
        self.key = self.channel = f"{prefix}{DIRECTORY_NAME}"
        self._guilds: dict[int, GuildRef] = {}
        self._local: Callable[[], Iterable[GuildRef]] = tuple

    def remote(self, guild_id: int) -> GuildRef | None:
        """The guild as its owner last announced it; None if it is ours or no process has it."""
        return None if self._owns(guild_id) else self._guilds.get(guild_id)

    def serve_from(self, local: Callable[[], Iterable[GuildRef]]) -> None:
        """Where this process's own guilds come from (announced again after each reconnect)."""
        self._local = local

    async def announce(self, guild: GuildRef) -> None:
        """Publish this process's view of one of its guilds."""
        await self._write([guild], [])

    async def forget(self, guild_id: int) -> None:
        """This process left the guild."""
        await self._write([], [guild_id])

    async def on_connected(self) -> None:
        """Announce every local guild again (announcements may have been lost), then reload."""
        await self._write(list(self._local()), [])
        try:
            entries: dict[bytes, bytes] = await self._redis.hgetall(self.key)  # type: ignore[misc]
        except (RedisError, OSError) as exc:
            logger.warning("guild directory: could not load it from Redis: {}", exc)
            return
        guilds = {}
        for raw_id, raw in entries.items():
            ref = _parse(int(raw_id), raw)
            if ref is not None:
                guilds[ref.id] = ref
        self._guilds = guilds

    def on_update(self, raw: bytes | str) -> None:
        """An announcement from some process (pub/sub)."""
        try:
            data = json.loads(raw)
            guild_id = int(data["id"])
        except (ValueError, KeyError, TypeError):
            logger.warning("guild directory: ignored an unreadable announcement")
            return
        if data.get("gone"):
            self._guilds.pop(guild_id, None)
            return
        ref = _parse(guild_id, raw)
        if ref is not None:
            self._guilds[guild_id] = ref

    async def _write(self, guilds: list[GuildRef], gone: list[int]) -> None:
        if not guilds and not gone:
            return
        pipe = self._redis.pipeline(transaction=False)
        for ref in guilds:
            entry = json.dumps(
                {"id": ref.id, "name": ref.name, "voice_channel_id": ref.voice_channel_id}
            )
            pipe.hset(self.key, str(ref.id), entry)
            pipe.publish(self.channel, entry)
        for guild_id in gone:
            pipe.hdel(self.key, str(guild_id))
            pipe.publish(self.channel, json.dumps({"id": guild_id, "gone": True}))
        try:
            await pipe.execute()
        except (RedisError, OSError) as exc:
            # Announced again from scratch once Redis is back (on_connected).
            logger.debug("guild directory: announcement not delivered: {}", exc)


def _parse(guild_id: int, raw: Any) -> GuildRef | None:
    try:
        data = json.loads(raw)
        voice = data.get("voice_channel_id")
        return GuildRef(
            id=guild_id, name=str(data["name"]), voice_channel_id=int(voice) if voice else None
        )
    except (ValueError, KeyError, TypeError):
        return None


def watch_guilds(bot: MusicBot, directory: GuildDirectory) -> None:
    """Announce the bot's guilds as they arrive, change and go, and its own voice moves."""

    async def on_guild(guild: discord.Guild) -> None:
        await directory.announce(guild_ref(guild))

    async def on_guild_update(_before: discord.Guild, after: discord.Guild) -> None:
        await directory.announce(guild_ref(after))

    async def on_guild_remove(guild: discord.Guild) -> None:
        await directory.forget(guild.id)

    async def on_voice_state_update(
        member: discord.Member, _before: discord.VoiceState, _after: discord.VoiceState
    ) -> None:
        if bot.user is not None and member.id == bot.user.id:
            await directory.announce(guild_ref(member.guild))

    directory.serve_from(lambda: [guild_ref(guild) for guild in bot.guilds])
    bot.add_listener(on_guild, "on_guild_available")
    bot.add_listener(on_guild, "on_guild_join")
    bot.add_listener(on_guild_update, "on_guild_update")
    bot.add_listener(on_guild_remove, "on_guild_remove")
    bot.add_listener(on_voice_state_update, "on_voice_state_update")
