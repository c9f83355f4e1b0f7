"""The /lyrics message: one page of lyrics at a time, with buttons to turn pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot import audio_commands as ac
from bot.command_tree import record_command
from bot.i18n import tr
from bot.music.lyrics import paginate
from cogs.gateway import render
from cogs.gateway.views import BotView

if TYPE_CHECKING:
    from bot.app import MusicBot


def lyrics_embed(
    result: ac.LyricsResult, pages: list[str], page: int, locale: str
) -> discord.Embed:
    """Page `page` (0-based) of the lyrics, naming where they came from."""
    embed = discord.Embed(
        title=render.clip(tr(locale, "lyrics.title", title=result.title), 256),
        description=render.escape(pages[page]),
        colour=render.ACCENT,
    )
    origin = " · ".join(p for p in (result.source, result.provider) if p)
    footer = tr(locale, "lyrics.page", page=page + 1, pages=len(pages))
    embed.set_footer(text=f"{footer} · {origin}" if origin else footer)
    return embed


class LyricsPager(BotView):
    """◀ ▶ under /lyrics; the pages stay with the message until the view times out."""

    def __init__(self, bot: MusicBot, result: ac.LyricsResult, locale: str) -> None:
        super().__init__(bot, timeout=600)
        self.result = result
        self.locale = locale
        self.pages = paginate(result.lines)
        self.page = 0
        self._sync_buttons()

    def first_page(self) -> discord.Embed:
        """The embed the message starts with."""
        return lyrics_embed(self.result, self.pages, self.page, self.locale)

    def _sync_buttons(self) -> None:
        self.back.disabled = self.page <= 0
        self.forward.disabled = self.page >= len(self.pages) - 1

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.page = min(max(self.page + step, 0), len(self.pages) - 1)
        self._sync_buttons()
        record_command(interaction, "ok")
        embed = lyrics_embed(self.result, self.pages, self.page, self.locale)
        await interaction.response.edit_message(embed=embed, view=self)

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary, custom_id="lyrics:back")
    async def back(self, interaction: discord.Interaction[Any], _b: discord.ui.Button[Any]) -> None:
        """Previous page."""
        await self._turn(interaction, -1)

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary, custom_id="lyrics:forward")
    async def forward(
        self, interaction: discord.Interaction[Any], _b: discord.ui.Button[Any]
    ) -> None:
        """Next page."""
        await self._turn(interaction, +1)
