"""Buttons and menus: the now-playing controller, queue pages and search results.

Every click goes through the same path as a slash command: a correlation id
and the per-user rate limit (`begin_interaction`), a command on the bus with
the member's voice channel, and one error handler (`report_error`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import discord

from bot import audio_commands as ac
from bot.command_tree import begin_interaction, record_command, report_error
from bot.errors import NotInVoice, UserError
from bot.i18n.reader import interaction_locale
from cogs.gateway import render
from cogs.gateway.command_path import ask_audio, voice_command

if TYPE_CHECKING:
    from bot.app import MusicBot

NP_PREFIX = "np:"


class BotView(discord.ui.View):
    """A view whose clicks get a correlation id, the rate limit, metrics and friendly errors."""

    def __init__(self, bot: MusicBot, *, timeout: float | None) -> None:
        super().__init__(timeout=timeout)
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Runs before every click in the click's own task."""
        tree = self.bot.tree
        begin_interaction(
            interaction,
            tree.user_limiter,  # type: ignore[attr-defined]
            self.bot.settings.limits.commands_per_user_per_10s,
        )
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        """Same replies as slash commands."""
        await report_error(interaction, error)


class NowPlayingView(BotView):
    """The controller under the now-playing message. Persistent: survives restarts."""

    def __init__(self, bot: MusicBot) -> None:
        super().__init__(bot, timeout=None)

    async def _send(self, interaction: discord.Interaction[Any], cls: type, **fields: Any) -> None:
        command = voice_command(interaction, cls, origin="button", **fields)
        done: ac.Done = await ask_audio(self.bot, command)
        record_command(interaction, "ok")
        # The message itself shows the change; the clicker gets a quiet confirmation.
        text = done.text.render(await interaction_locale(interaction))
        await interaction.response.send_message(text, ephemeral=True)

    @discord.ui.button(emoji="⏯️", style=discord.ButtonStyle.secondary, custom_id="np:toggle")
    async def toggle(
        self, interaction: discord.Interaction[Any], _b: discord.ui.Button[Any]
    ) -> None:
        """Pause or resume."""
        await self._send(interaction, ac.TogglePause)

    @discord.ui.button(emoji="⏭️", style=discord.ButtonStyle.secondary, custom_id="np:skip")
    async def skip(self, interaction: discord.Interaction[Any], _b: discord.ui.Button[Any]) -> None:
        """Skip."""
        await self._send(interaction, ac.Skip)

    @discord.ui.button(emoji="⏹️", style=discord.ButtonStyle.danger, custom_id="np:stop")
    async def stop_(
        self, interaction: discord.Interaction[Any], _b: discord.ui.Button[Any]
    ) -> None:
        """Stop."""
        await self._send(interaction, ac.Stop)

    @discord.ui.button(emoji="🔁", style=discord.ButtonStyle.secondary, custom_id="np:loop")
    async def loop(self, interaction: discord.Interaction[Any], _b: discord.ui.Button[Any]) -> None:
        """Cycle the loop mode."""
        await self._send(interaction, ac.SetLoop, mode=None)

    @discord.ui.button(emoji="🔀", style=discord.ButtonStyle.secondary, custom_id="np:shuffle")
    async def shuffle(
        self, interaction: discord.Interaction[Any], _b: discord.ui.Button[Any]
    ) -> None:
        """Shuffle."""
        await self._send(interaction, ac.Shuffle)


class QueuePager(BotView):
    """Previous/next page buttons under /queue."""

    def __init__(self, bot: MusicBot, guild_id: int, page: int, pages: int) -> None:
        super().__init__(bot, timeout=300)
        self.guild_id = guild_id
        self.page = page
        self.pages = pages
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.back.disabled = self.page <= 1
        self.forward.disabled = self.page >= self.pages

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        result: ac.QueuePage = await ask_audio(
            self.bot,
            ac.ShowQueue(
                guild_id=self.guild_id, user_id=interaction.user.id, page=self.page + step
            ),
        )
        self.page, self.pages = result.page, result.pages
        self._sync_buttons()
        record_command(interaction, "ok")
        locale = await interaction_locale(interaction)
        await interaction.response.edit_message(embed=render.queue_embed(result, locale), view=self)

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary, custom_id="queue:back")
    async def back(self, interaction: discord.Interaction[Any], _b: discord.ui.Button[Any]) -> None:
        """Previous page."""
        await self._turn(interaction, -1)

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary, custom_id="queue:forward")
    async def forward(
        self, interaction: discord.Interaction[Any], _b: discord.ui.Button[Any]
    ) -> None:
        """Next page."""
        await self._turn(interaction, +1)


class SearchPicker(BotView):
    """A select menu of search results; picking one queues it like /play."""

    def __init__(self, bot: MusicBot, tracks: list[Any], *, owner_id: int) -> None:
        super().__init__(bot, timeout=120)
        self.tracks = tracks
        self.owner_id = owner_id
        options = [
            discord.SelectOption(
                label=render.clip(track.title, 100),
                description=render.clip(
                    f"{track.author} · {render.format_duration(track.length_ms)}", 100
                ),
                value=str(index),
            )
            for index, track in enumerate(tracks[:25])
        ]
        self.menu.options = options

    @property
    def menu(self) -> discord.ui.Select[Any]:
        """The select item (`pick` is its callback, as discord.py's decorator types it)."""
        return cast("discord.ui.Select[Any]", self.pick)

    @discord.ui.select(
        placeholder="Choose a track", custom_id="search:pick", min_values=1, max_values=1
    )
    async def pick(
        self, interaction: discord.Interaction[Any], select: discord.ui.Select[Any]
    ) -> None:
        """Queue the chosen result."""
        if interaction.user.id != self.owner_id:
            raise UserError("search.not_your_menu")
        track = self.tracks[int(select.values[0])]
        query = track.uri or f"{track.title} {track.author}"
        command = voice_command(interaction, ac.Play, query=query, origin="button")
        if command.voice_channel_id is None:
            raise NotInVoice()
        await interaction.response.defer()
        result: ac.PlayResult = await ask_audio(self.bot, command)
        record_command(interaction, "ok")
        self.stop()
        locale = await interaction_locale(interaction)
        await interaction.edit_original_response(embed=render.play_embed(result, locale), view=None)
