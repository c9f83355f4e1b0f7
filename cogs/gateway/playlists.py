"""/playlist: each user's saved playlists (save the queue, load, list, show, add, remove, delete).

Playlists belong to the user, not the server: the same list works everywhere.
`load` takes the /play path (thinking shown to everyone, the same answer and
limits); everything else is answered to the user alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands
from loguru import logger

from bot import audio_commands as ac
from bot.bus import BusError
from bot.command_tree import defer_public
from bot.db.errors import DatabaseUnavailableError
from bot.errors import NotInVoice, UserError
from bot.i18n.reader import interaction_locale
from bot.music.query import parse_query
from cogs.gateway import render
from cogs.gateway.command_path import ask_audio, voice_command
from cogs.gateway.library_render import playlist_list_embed, playlist_page_embed

if TYPE_CHECKING:
    from bot.app import MusicBot

NAME_HELP = "The playlist's name (1-50 characters)"


class PlaylistCommands(commands.Cog, name="playlists"):
    """The /playlist group."""

    playlist = app_commands.Group(
        name="playlist", description="Your saved playlists", guild_only=True
    )

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot

    async def _require_enabled(self, interaction: discord.Interaction[Any]) -> None:
        flags = self.bot.flags
        if flags is not None and not await flags.is_enabled(
            "saved_playlists", interaction.guild_id
        ):
            raise UserError("playlist.disabled")

    def _command(self, interaction: discord.Interaction[Any], cls: type, **fields: Any) -> Any:
        return cls(
            guild_id=interaction.guild_id or 0,
            user_id=interaction.user.id,
            channel_id=interaction.channel_id,
            **fields,
        )

    async def _answer(
        self, interaction: discord.Interaction[Any], cls: type, **fields: Any
    ) -> None:
        """Ask the audio side; tell the user what it did, privately."""
        await self._require_enabled(interaction)
        done: ac.Done = await ask_audio(self.bot, self._command(interaction, cls, **fields))
        text = done.text.render(await interaction_locale(interaction))
        await interaction.response.send_message(embed=render.message_embed(text), ephemeral=True)

    @playlist.command(name="save", description="Save the current queue as a playlist")
    @app_commands.describe(name=NAME_HELP, overwrite="Replace your playlist of that name")
    async def save(
        self, interaction: discord.Interaction[Any], name: str, overwrite: bool = False
    ) -> None:
        """The track playing now and everything up next."""
        await self._answer(interaction, ac.SavePlaylist, playlist=name, overwrite=overwrite)

    @playlist.command(name="load", description="Queue one of your playlists")
    @app_commands.describe(name=NAME_HELP, shuffle="Queue it in random order")
    async def load(
        self, interaction: discord.Interaction[Any], name: str, shuffle: bool = False
    ) -> None:
        """Queue it like /play queues a playlist (joining your voice channel)."""
        await self._require_enabled(interaction)
        command = voice_command(interaction, ac.LoadPlaylist, playlist=name, shuffle=shuffle)
        if command.voice_channel_id is None:
            raise NotInVoice()
        await defer_public(interaction)
        result: ac.PlayResult = await ask_audio(self.bot, command)
        locale = await interaction_locale(interaction)
        await interaction.edit_original_response(embed=render.play_embed(result, locale))

    @playlist.command(name="list", description="Your playlists")
    async def list_playlists(self, interaction: discord.Interaction[Any]) -> None:
        """Names and sizes."""
        await self._require_enabled(interaction)
        result: ac.PlaylistList = await ask_audio(
            self.bot, self._command(interaction, ac.ListPlaylists)
        )
        locale = await interaction_locale(interaction)
        await interaction.response.send_message(
            embed=playlist_list_embed(result, locale), ephemeral=True
        )

    @playlist.command(name="show", description="The songs in one of your playlists")
    @app_commands.describe(name=NAME_HELP, page="Page number")
    async def show(
        self,
        interaction: discord.Interaction[Any],
        name: str,
        page: app_commands.Range[int, 1, 1000] = 1,
    ) -> None:
        """A page of ten songs with their positions (for /playlist remove)."""
        await self._require_enabled(interaction)
        result: ac.PlaylistPage = await ask_audio(
            self.bot, self._command(interaction, ac.ShowPlaylist, playlist=name, page=page)
        )
        locale = await interaction_locale(interaction)
        await interaction.response.send_message(
            embed=playlist_page_embed(result, locale), ephemeral=True
        )

    @playlist.command(name="add", description="Add a song (or the one playing) to a playlist")
    @app_commands.describe(
        name=NAME_HELP + "; a new name makes a new playlist",
        query="A link or words to search for; empty: the song playing now",
    )
    async def add(
        self, interaction: discord.Interaction[Any], name: str, query: str | None = None
    ) -> None:
        """A search adds its best result, a playlist link all its songs."""
        if query and not parse_query(query).is_url:
            self._count_search(interaction)
        await self._answer(interaction, ac.AddToPlaylist, playlist=name, query=query or None)

    @playlist.command(name="remove", description="Remove a song from a playlist")
    @app_commands.describe(name=NAME_HELP, position="Its number in /playlist show")
    async def remove(
        self,
        interaction: discord.Interaction[Any],
        name: str,
        position: app_commands.Range[int, 1, 10_000],
    ) -> None:
        """Remove by position."""
        await self._answer(interaction, ac.RemoveFromPlaylist, playlist=name, position=position)

    @playlist.command(name="delete", description="Delete one of your playlists")
    @app_commands.describe(name=NAME_HELP)
    async def delete(self, interaction: discord.Interaction[Any], name: str) -> None:
        """Delete it with its songs."""
        await self._answer(interaction, ac.DeletePlaylist, playlist=name)

    @load.autocomplete("name")
    @show.autocomplete("name")
    @add.autocomplete("name")
    @remove.autocomplete("name")
    @delete.autocomplete("name")
    @save.autocomplete("name")
    async def name_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """The user's playlists whose name contains what was typed."""
        try:
            result: ac.PlaylistList = await ask_audio(
                self.bot, self._command(interaction, ac.ListPlaylists), timeout=2.5
            )
        except (UserError, BusError, DatabaseUnavailableError) as exc:
            logger.debug("playlist autocomplete gave nothing: {}", exc)
            return []
        needle = current.strip().casefold()
        return [
            app_commands.Choice(name=f"{p.name} ({p.track_count})"[:100], value=p.name)
            for p in result.playlists
            if needle in p.name.casefold()
        ][:25]

    def _count_search(self, interaction: discord.Interaction[Any]) -> None:
        """A search here counts against the same per-user and per-guild limits as /play."""
        music = self.bot.get_cog("music")
        limit = getattr(music, "search_limit", None)
        if limit is not None:
            limit.check(interaction.user.id, interaction.guild_id)
