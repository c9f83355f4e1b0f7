"""One now-playing message per guild, kept up to date from `discord-bot:ui:now`.

Throttling: updates for a guild are collected; the message is edited at most
once per `limits.now_playing_min_edit_s` seconds with the latest state, so a
burst of events (skip, skip, skip) costs one edit. A refresh job moves the
progress bar every `limits.now_playing_refresh_s` seconds while a track
plays. An edit that finds the message deleted posts a new one. discord.py
honours Discord's rate-limit headers for every edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord
from loguru import logger

from bot import audio_commands as ac
from bot.bus import BusError, Channel
from bot.i18n import tr
from bot.i18n.reader import guild_locale
from bot.messages import NowPlayingUpdate
from bot.music.state import NowPlayingState
from cogs.gateway import render
from cogs.gateway.views import NowPlayingView

if TYPE_CHECKING:
    from bot.app import MusicBot


@dataclass
class _GuildMessage:
    channel_id: int | None = None
    message_id: int | None = None
    state: NowPlayingState | None = None
    received_at: float = 0.0
    last_edit: float = 0.0
    task: asyncio.Task[None] | None = None
    dirty: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class NowPlayingMessages:
    """Posts, edits and retires the now-playing message of each guild."""

    def __init__(self, bot: MusicBot, *, min_interval: Callable[[], float]) -> None:
        self.bot = bot
        self.min_interval = min_interval
        self.view = NowPlayingView(bot)
        self._guilds: dict[int, _GuildMessage] = {}

    async def on_update(self, update: NowPlayingUpdate) -> None:
        """A state change from the audio side."""
        entry = self._guilds.setdefault(update.guild_id, _GuildMessage())
        state = update.state
        if state is None:
            await self._retire(update.guild_id, "render.disconnected")
            return
        entry.state = state
        entry.received_at = time.monotonic()
        entry.channel_id = entry.channel_id or state.text_channel_id
        if entry.message_id is None and state.message_id is not None:
            entry.message_id = state.message_id  # re-attach after a restart
        self._schedule(update.guild_id, entry)

    def _schedule(self, guild_id: int, entry: _GuildMessage) -> None:
        entry.dirty = True
        if entry.task is None or entry.task.done():
            entry.task = asyncio.create_task(self._flush(guild_id, entry), name=f"np:{guild_id}")

    async def _flush(self, guild_id: int, entry: _GuildMessage) -> None:
        while entry.dirty:
            wait = entry.last_edit + self.min_interval() - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            entry.dirty = False
            async with entry.lock:
                try:
                    await self._render(guild_id, entry)
                except discord.HTTPException as exc:
                    logger.warning("now-playing update failed in guild {}: {}", guild_id, exc)
                except Exception:
                    logger.exception("now-playing update failed in guild {}", guild_id)
                entry.last_edit = time.monotonic()

    async def _render(self, guild_id: int, entry: _GuildMessage) -> None:
        state = entry.state
        if state is None or entry.channel_id is None:
            return
        position = state.position_ms
        if state.track is not None and not state.paused:
            position += int((time.monotonic() - entry.received_at) * 1000)
            if state.track.length_ms > 0:
                position = min(position, state.track.length_ms)
        locale = await guild_locale(self.bot, guild_id)
        embed = render.now_playing_embed(state, locale, position)
        view = self.view if state.track is not None else None
        channel = self.bot.get_partial_messageable(entry.channel_id, guild_id=guild_id)
        if entry.message_id is not None:
            try:
                await channel.get_partial_message(entry.message_id).edit(embed=embed, view=view)
                return
            except discord.NotFound:
                logger.info("now-playing message in guild {} was deleted; posting anew", guild_id)
                entry.message_id = None
        if state.track is None:
            return  # nothing to announce with a fresh message
        message = await channel.send(embed=embed, view=self.view)
        entry.message_id = message.id
        with contextlib.suppress(BusError):
            await self.bot.bus.request(
                Channel.COMMANDS,
                ac.AttachNowPlaying(guild_id=guild_id, user_id=0, message_id=message.id),
                timeout=self.bot.settings.limits.command_timeout,
            )

    async def refresh(self) -> None:
        """Move the progress bars of playing guilds (a periodic job)."""
        for guild_id, entry in list(self._guilds.items()):
            state = entry.state
            if state is not None and state.track is not None and not state.paused:
                self._schedule(guild_id, entry)

    async def _retire(self, guild_id: int, key: str) -> None:
        entry = self._guilds.pop(guild_id, None)
        if entry is None:
            return
        if entry.task is not None:
            entry.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await entry.task
        if entry.channel_id is None or entry.message_id is None:
            return
        channel = self.bot.get_partial_messageable(entry.channel_id, guild_id=guild_id)
        embed = render.message_embed(tr(await guild_locale(self.bot, guild_id), key))
        with contextlib.suppress(discord.HTTPException):
            await channel.get_partial_message(entry.message_id).edit(embed=embed, view=None)

    async def close(self) -> None:
        """Stop pending edits."""
        for entry in self._guilds.values():
            if entry.task is not None:
                entry.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await entry.task
        self._guilds.clear()
