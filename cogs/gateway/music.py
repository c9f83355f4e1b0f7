"""Music slash commands: read the member's voice state, ask the audio side, render the answer."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands
from loguru import logger

from bot import audio_commands as ac
from bot.bus import BusError
from bot.command_tree import defer_public
from bot.errors import NotInVoice, UserError
from bot.i18n import tr
from bot.i18n.reader import interaction_locale
from bot.i18n.translator import localized_choice
from bot.music.query import parse_query
from bot.music.queue import LoopMode
from bot.music.search_throttle import AutocompleteGate, Lookup, SearchRateLimit
from bot.music.source_policy import SourcePolicy
from bot.music.sources import NODE_SOURCES, source_named
from bot.music.timefmt import parse_seek
from cogs.gateway import render
from cogs.gateway.command_path import (
    ask_audio,
    member_voice_channel,
    run_voice_command,
    voice_command,
)
from cogs.gateway.views import QueuePager, SearchPicker

if TYPE_CHECKING:
    from bot.app import MusicBot

AUTOCOMPLETE_TIMEOUT = 2.5
SOURCE_HELP = "Where to search: YouTube, SoundCloud, Spotify ... (links ignore this)"
LOOP_CHOICES = [
    localized_choice("choice.loop.off", "off", LoopMode.OFF.value),
    localized_choice("choice.loop.track", "track", LoopMode.TRACK.value),
    localized_choice("choice.loop.queue", "queue", LoopMode.QUEUE.value),
]


@app_commands.guild_only()
class MusicCommands(commands.Cog, name="music"):
    """/play, /skip, /queue and the other music commands."""

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot
        self.search_limit = SearchRateLimit(
            per_user=lambda: bot.settings.limits.searches_per_user_per_minute,
            per_guild=lambda: bot.settings.limits.searches_per_guild_per_minute,
        )
        self.autocomplete_gate = AutocompleteGate(
            min_chars=lambda: bot.settings.search.autocomplete_min_chars,
            debounce=lambda: bot.settings.search.autocomplete_debounce_s,
            per_user=lambda: bot.settings.search.autocomplete_searches_per_user_per_10s,
        )

    def _check_search(
        self, interaction: discord.Interaction[Any], query: str, source: str | None
    ) -> None:
        """Refuse a bad link or unknown source early; count searches against the rate limits."""
        if source is not None:
            source_named(source)
        if not parse_query(query).is_url:
            self.search_limit.check(interaction.user.id, interaction.guild_id)

    # -- playing --------------------------------------------------------------

    async def _play(
        self,
        interaction: discord.Interaction[Any],
        query: str,
        *,
        next_up: bool,
        source: str | None,
    ) -> None:
        command = voice_command(interaction, ac.Play, query=query, next_up=next_up, source=source)
        if command.voice_channel_id is None:
            raise NotInVoice()
        self._check_search(interaction, query, source)
        await defer_public(interaction)
        result: ac.PlayResult = await ask_audio(self.bot, command)
        locale = await interaction_locale(interaction)
        await interaction.edit_original_response(embed=render.play_embed(result, locale))

    @app_commands.command(
        name="play", description="Play a song or playlist from a link or a search"
    )
    @app_commands.describe(query="A link, or words to search for", source=SOURCE_HELP)
    async def play(
        self, interaction: discord.Interaction[Any], query: str, source: str | None = None
    ) -> None:
        """Queue a track (joining your voice channel)."""
        await self._play(interaction, query, next_up=False, source=source)

    @app_commands.command(name="playnext", description="Put a song first in line")
    @app_commands.describe(query="A link, or words to search for", source=SOURCE_HELP)
    async def playnext(
        self, interaction: discord.Interaction[Any], query: str, source: str | None = None
    ) -> None:
        """Queue a track to play right after the current one."""
        await self._play(interaction, query, next_up=True, source=source)

    @play.autocomplete("query")
    @playnext.autocomplete("query")
    async def query_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Search results as the user types (links are left alone).

        Only a keystroke after a pause, within the user's budget, reaches Lavalink;
        the others are answered from the search cache (see `AutocompleteGate`).
        """
        text = current.strip()
        if text.lower().startswith(("http://", "https://")):
            return []
        lookup = await self.autocomplete_gate.admit(interaction.user.id, text)
        if lookup is Lookup.NOTHING:
            return []
        source = getattr(interaction.namespace, "source", None)
        try:
            result: ac.SearchResult = await ask_audio(
                self.bot,
                ac.Search(
                    guild_id=interaction.guild_id or 0,
                    user_id=interaction.user.id,
                    query=text,
                    limit=5,
                    source=source or None,
                    cached_only=lookup is Lookup.CACHE_ONLY,
                ),
                # Discord waits 3 s for the answer, the debounce pause included.
                timeout=AUTOCOMPLETE_TIMEOUT - self.bot.settings.search.autocomplete_debounce_s,
            )
        except (UserError, BusError) as exc:
            logger.debug("autocomplete for {!r} gave nothing: {}", text, exc)
            return []
        if not result.tracks:
            return self.autocomplete_gate.recall(interaction.user.id, text) or []
        choices = []
        for track in result.tracks:
            name = render.clip(f"{track.title} — {track.author}", 100)
            value = (
                track.uri if track.uri and len(track.uri) <= 100 else render.clip(track.title, 100)
            )
            choices.append(app_commands.Choice(name=name, value=value))
        self.autocomplete_gate.remember(interaction.user.id, text, choices)
        return choices

    @app_commands.command(name="search", description="Search and pick a result to play")
    @app_commands.describe(query="Words to search for", source=SOURCE_HELP)
    async def search(
        self, interaction: discord.Interaction[Any], query: str, source: str | None = None
    ) -> None:
        """Show up to ten results in a select menu."""
        if member_voice_channel(interaction) is None:
            raise NotInVoice()
        self._check_search(interaction, query, source)
        await interaction.response.defer(thinking=True, ephemeral=True)
        result: ac.SearchResult = await ask_audio(
            self.bot,
            ac.Search(
                guild_id=interaction.guild_id or 0,
                user_id=interaction.user.id,
                query=query,
                limit=10,
                source=source,
            ),
        )
        if not result.tracks:
            raise UserError("search.nothing_found", query=render.clip(query, 80))
        locale = await interaction_locale(interaction)
        view = SearchPicker(self.bot, list(result.tracks), owner_id=interaction.user.id)
        view.menu.placeholder = tr(locale, "search.pick_placeholder")
        lines = [
            f"`{i}.` {render.track_line(track, locale)}" for i, track in enumerate(result.tracks, 1)
        ]
        embed = discord.Embed(
            title=tr(locale, "search.pick"), description="\n".join(lines), colour=render.ACCENT
        )
        await interaction.edit_original_response(embed=embed, view=view)

    @play.autocomplete("source")
    @playnext.autocomplete("source")
    @search.autocomplete("source")
    async def source_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Only the sources the connected music server can search and the guild allows."""
        needle = current.strip().casefold()
        try:
            sources = await asyncio.wait_for(NODE_SOURCES.searchable(), AUTOCOMPLETE_TIMEOUT)
            policy = await asyncio.wait_for(
                self.bot.guild_policy(interaction.guild_id or 0), AUTOCOMPLETE_TIMEOUT
            )
        except TimeoutError:
            return []
        allowed = SourcePolicy(policy.allowed_sources)
        return [
            app_commands.Choice(name=s.label, value=s.name)
            for s in sources
            if allowed.allows_search(s) and (needle in s.name or needle in s.label.casefold())
        ]

    # -- controls -------------------------------------------------------------

    @app_commands.command(name="pause", description="Pause playback")
    async def pause(self, interaction: discord.Interaction[Any]) -> None:
        """Pause."""
        await run_voice_command(self.bot, interaction, ac.Pause)

    @app_commands.command(name="resume", description="Resume playback")
    async def resume(self, interaction: discord.Interaction[Any]) -> None:
        """Resume."""
        await run_voice_command(self.bot, interaction, ac.Resume)

    @app_commands.command(name="skip", description="Skip the current song, or jump ahead")
    @app_commands.describe(to="Jump to this position in the queue")
    async def skip(
        self,
        interaction: discord.Interaction[Any],
        to: app_commands.Range[int, 1, 10_000] | None = None,
    ) -> None:
        """Skip."""
        await run_voice_command(self.bot, interaction, ac.Skip, to=to)

    @app_commands.command(name="previous", description="Play the previous song again")
    async def previous(self, interaction: discord.Interaction[Any]) -> None:
        """Previous."""
        await run_voice_command(self.bot, interaction, ac.Previous)

    @app_commands.command(name="stop", description="Stop and clear the queue")
    async def stop(self, interaction: discord.Interaction[Any]) -> None:
        """Stop."""
        await run_voice_command(self.bot, interaction, ac.Stop)

    @app_commands.command(name="leave", description="Stop and leave the voice channel")
    async def leave(self, interaction: discord.Interaction[Any]) -> None:
        """Leave."""
        await run_voice_command(self.bot, interaction, ac.Leave)

    @app_commands.command(name="seek", description="Jump within the song: 1:23, 83, +10 or -10")
    @app_commands.describe(time="1:23 or 83 (seconds) to jump to; +10 or -10 to move")
    async def seek(self, interaction: discord.Interaction[Any], time: str) -> None:
        """Seek."""
        await run_voice_command(self.bot, interaction, ac.Seek, target=parse_seek(time))

    @app_commands.command(name="volume", description="Set the volume (0-200%)")
    @app_commands.describe(level="0 to 200")
    async def volume(
        self, interaction: discord.Interaction[Any], level: app_commands.Range[int, 0, 200]
    ) -> None:
        """Volume."""
        await run_voice_command(self.bot, interaction, ac.SetVolume, level=level)

    @app_commands.command(name="loop", description="Loop nothing, the song, or the whole queue")
    @app_commands.describe(mode="off, track or queue")
    @app_commands.choices(mode=LOOP_CHOICES)
    async def loop(self, interaction: discord.Interaction[Any], mode: str) -> None:
        """Loop."""
        await run_voice_command(self.bot, interaction, ac.SetLoop, mode=LoopMode(mode))

    @app_commands.command(name="shuffle", description="Shuffle the queue")
    async def shuffle(self, interaction: discord.Interaction[Any]) -> None:
        """Shuffle."""
        await run_voice_command(self.bot, interaction, ac.Shuffle)

    @app_commands.command(name="remove", description="Remove a song from the queue")
    @app_commands.describe(position="Its position in /queue")
    async def remove(
        self, interaction: discord.Interaction[Any], position: app_commands.Range[int, 1, 10_000]
    ) -> None:
        """Remove."""
        await run_voice_command(self.bot, interaction, ac.Remove, position=position)

    @app_commands.command(name="move", description="Move a song in the queue")
    @app_commands.describe(source="Its position now", target="Where it should go")
    async def move(
        self,
        interaction: discord.Interaction[Any],
        source: app_commands.Range[int, 1, 10_000],
        target: app_commands.Range[int, 1, 10_000],
    ) -> None:
        """Move."""
        await run_voice_command(self.bot, interaction, ac.Move, source=source, target=target)

    @app_commands.command(name="clear", description="Remove every upcoming song")
    async def clear(self, interaction: discord.Interaction[Any]) -> None:
        """Clear."""
        await run_voice_command(self.bot, interaction, ac.Clear)

    # -- looking --------------------------------------------------------------

    @app_commands.command(name="queue", description="Show the queue")
    @app_commands.describe(page="Page number")
    async def queue(
        self, interaction: discord.Interaction[Any], page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        """A page of the queue with buttons to turn pages."""
        guild_id = interaction.guild_id or 0
        result: ac.QueuePage = await ask_audio(
            self.bot, ac.ShowQueue(guild_id=guild_id, user_id=interaction.user.id, page=page)
        )
        locale = await interaction_locale(interaction)
        view = QueuePager(self.bot, guild_id, result.page, result.pages)
        await interaction.response.send_message(embed=render.queue_embed(result, locale), view=view)

    @app_commands.command(name="nowplaying", description="Show the current song")
    async def nowplaying(self, interaction: discord.Interaction[Any]) -> None:
        """The current song and its progress."""
        state = await ask_audio(
            self.bot,
            ac.ShowNowPlaying(guild_id=interaction.guild_id or 0, user_id=interaction.user.id),
        )
        locale = await interaction_locale(interaction)
        await interaction.response.send_message(embed=render.now_playing_embed(state, locale))

    @app_commands.command(name="history", description="Songs played here recently")
    async def history(self, interaction: discord.Interaction[Any]) -> None:
        """The last ten songs."""
        result: ac.HistoryPage = await ask_audio(
            self.bot,
            ac.ShowHistory(guild_id=interaction.guild_id or 0, user_id=interaction.user.id),
        )
        locale = await interaction_locale(interaction)
        await interaction.response.send_message(
            embed=render.history_embed(list(result.tracks), locale)
        )
