"""/filter, /sponsorblock and /lyrics; SponsorBlock's segment announcements in the music channel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import audio_commands as ac
from bot.bus import Channel, Subscription
from bot.command_tree import defer_public
from bot.events import SegmentSkipped, SegmentsLoaded
from bot.i18n import DEFAULT_LOCALE, Text, plural, t, tr
from bot.i18n.reader import interaction_locale
from bot.i18n.translator import localized_choice
from bot.music.filters import BASS_BOOST_LEVELS, SPEED_RANGE
from bot.music.timefmt import format_duration
from bot.playback.plugins import SEGMENT_NAMES, SPONSORBLOCK_CATEGORIES
from cogs.gateway import render
from cogs.gateway.announce import announce
from cogs.gateway.command_path import ask_audio, run_voice_command
from cogs.gateway.lyrics_pager import LyricsPager

if TYPE_CHECKING:
    from bot.app import MusicBot

ANNOUNCE_FOR_S = 30.0
"""How long a SponsorBlock announcement stays in the channel."""

SpeedFactor = app_commands.Range[float, SPEED_RANGE[0], SPEED_RANGE[1]]
CATEGORY_HELP = {
    "sponsor": "sponsorblock.help.sponsor",
    "selfpromo": "sponsorblock.help.selfpromo",
    "interaction": "sponsorblock.help.interaction",
    "intro": "sponsorblock.help.intro",
    "outro": "sponsorblock.help.outro",
    "music_offtopic": "sponsorblock.help.music_offtopic",
}
BASS_BOOST_KEYS = {
    "low": "choice.bassboost.low",
    "medium": "choice.bassboost.medium",
    "high": "choice.bassboost.high",
}
BASS_BOOST_CHOICES = [
    localized_choice(BASS_BOOST_KEYS[level], level, level) for level in BASS_BOOST_LEVELS
]


def _help(category: str) -> str:
    """A category's explanation in English, the commands' own language."""
    return tr(DEFAULT_LOCALE, CATEGORY_HELP[category])


@app_commands.guild_only()
class EffectsCommands(commands.Cog, name="effects"):
    """Audio effects, SponsorBlock and lyrics."""

    filter = app_commands.Group(
        name="filter", description="Audio effects for the music", guild_only=True
    )
    sponsorblock = app_commands.Group(
        name="sponsorblock",
        description="Skip sponsors, intros and other segments of YouTube videos",
        guild_only=True,
    )

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot
        self._subscription: Subscription | None = None

    async def cog_load(self) -> None:
        """Listen for SponsorBlock's segment events."""
        self._subscription = self.bot.bus.subscribe(
            Channel.TO_DISCORD, self.on_audio_event, name="effects"
        )

    async def cog_unload(self) -> None:
        """Stop listening."""
        if self._subscription is not None:
            await self.bot.bus.unsubscribe(self._subscription)

    # -- /filter --------------------------------------------------------------

    async def _effect(
        self, interaction: discord.Interaction[Any], effect: str, value: float | None = None
    ) -> None:
        await run_voice_command(self.bot, interaction, ac.SetFilter, effect=effect, value=value)

    @filter.command(name="bassboost", description="More bass")
    @app_commands.describe(level="How much more")
    @app_commands.choices(level=BASS_BOOST_CHOICES)
    async def bassboost(self, interaction: discord.Interaction[Any], level: str = "medium") -> None:
        """Bass boost, low to high."""
        await self._effect(interaction, f"bassboost_{level}")

    @filter.command(name="nightcore", description="Faster and higher")
    async def nightcore(self, interaction: discord.Interaction[Any]) -> None:
        """Nightcore."""
        await self._effect(interaction, "nightcore")

    @filter.command(name="vaporwave", description="Slower and lower, with more bass")
    async def vaporwave(self, interaction: discord.Interaction[Any]) -> None:
        """Vaporwave."""
        await self._effect(interaction, "vaporwave")

    @filter.command(name="8d", description="The sound circles around your head (headphones)")
    async def rotation(self, interaction: discord.Interaction[Any]) -> None:
        """8D / rotation."""
        await self._effect(interaction, "8d")

    @filter.command(name="karaoke", description="Take out most of the vocals")
    async def karaoke(self, interaction: discord.Interaction[Any]) -> None:
        """Karaoke."""
        await self._effect(interaction, "karaoke")

    @filter.command(name="tremolo", description="Wobbling volume")
    async def tremolo(self, interaction: discord.Interaction[Any]) -> None:
        """Tremolo."""
        await self._effect(interaction, "tremolo")

    @filter.command(name="vibrato", description="Wobbling pitch")
    async def vibrato(self, interaction: discord.Interaction[Any]) -> None:
        """Vibrato."""
        await self._effect(interaction, "vibrato")

    @filter.command(name="lowpass", description="Muffle the highs")
    async def lowpass(self, interaction: discord.Interaction[Any]) -> None:
        """Low-pass."""
        await self._effect(interaction, "lowpass")

    @filter.command(name="speed", description="Play faster or slower (1 is normal)")
    @app_commands.describe(factor="0.5 to 2; 1 is normal")
    async def speed(self, interaction: discord.Interaction[Any], factor: SpeedFactor) -> None:
        """Speed."""
        await self._effect(interaction, "speed", factor)

    @filter.command(name="pitch", description="Raise or lower the pitch (1 is normal)")
    @app_commands.describe(factor="0.5 to 2; 1 is normal")
    async def pitch(self, interaction: discord.Interaction[Any], factor: SpeedFactor) -> None:
        """Pitch."""
        await self._effect(interaction, "pitch", factor)

    @filter.command(name="reset", description="Turn every effect off")
    async def reset(self, interaction: discord.Interaction[Any]) -> None:
        """Reset."""
        await run_voice_command(self.bot, interaction, ac.ResetFilters)

    # -- /sponsorblock --------------------------------------------------------

    @sponsorblock.command(name="skip", description="Choose which segments to skip")
    @app_commands.rename(interaction_="interaction")
    @app_commands.describe(
        sponsor=_help("sponsor"),
        selfpromo=_help("selfpromo"),
        interaction_=_help("interaction"),
        intro=_help("intro"),
        outro=_help("outro"),
        music_offtopic=_help("music_offtopic"),
    )
    async def sponsorblock_skip(
        self,
        interaction: discord.Interaction[Any],
        sponsor: bool | None = None,
        selfpromo: bool | None = None,
        interaction_: bool | None = None,
        intro: bool | None = None,
        outro: bool | None = None,
        music_offtopic: bool | None = None,
    ) -> None:
        """Turn categories on or off; the ones left out stay as they are."""
        chosen = {
            "sponsor": sponsor,
            "selfpromo": selfpromo,
            "interaction": interaction_,
            "intro": intro,
            "outro": outro,
            "music_offtopic": music_offtopic,
        }
        status = await self._status(interaction)
        categories = set(status.categories)
        for category, on in chosen.items():
            if on is True:
                categories.add(category)
            elif on is False:
                categories.discard(category)
        await self._set_categories(interaction, tuple(sorted(categories)))

    @sponsorblock.command(name="off", description="Skip nothing")
    async def sponsorblock_off(self, interaction: discord.Interaction[Any]) -> None:
        """Skip no segments."""
        await self._set_categories(interaction, ())

    @sponsorblock.command(name="show", description="Which segments are skipped here")
    async def sponsorblock_show(self, interaction: discord.Interaction[Any]) -> None:
        """The guild's categories, or why they can't apply."""
        status = await self._status(interaction)
        locale = await interaction_locale(interaction)
        lines = [
            f"{'✅' if name in status.categories else '▫️'} "
            f"**{tr(locale, label)}**: {tr(locale, CATEGORY_HELP[name])}"
            for name, label in SPONSORBLOCK_CATEGORIES.items()
        ]
        if status.problem:
            lines.append(f"\n⚠️ {status.problem.render(locale)}")
        embed = discord.Embed(
            title="SponsorBlock", description="\n".join(lines), colour=render.ACCENT
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def _status(self, interaction: discord.Interaction[Any]) -> ac.SponsorBlockStatus:
        return await ask_audio(
            self.bot,
            ac.ShowSponsorBlock(guild_id=interaction.guild_id or 0, user_id=interaction.user.id),
        )

    async def _set_categories(
        self, interaction: discord.Interaction[Any], categories: tuple[str, ...]
    ) -> None:
        done: ac.Done = await ask_audio(
            self.bot,
            ac.SetSponsorBlock(
                guild_id=interaction.guild_id or 0,
                user_id=interaction.user.id,
                channel_id=interaction.channel_id,
                categories=categories,
            ),
        )
        text = done.text.render(await interaction_locale(interaction))
        await interaction.response.send_message(embed=render.message_embed(text))

    # -- /lyrics --------------------------------------------------------------

    @app_commands.command(name="lyrics", description="Lyrics of the current song")
    async def lyrics(self, interaction: discord.Interaction[Any]) -> None:
        """The lyrics, a page at a time."""
        await defer_public(interaction)
        result: ac.LyricsResult = await ask_audio(
            self.bot,
            ac.ShowLyrics(guild_id=interaction.guild_id or 0, user_id=interaction.user.id),
        )
        view = LyricsPager(self.bot, result, await interaction_locale(interaction))
        await interaction.edit_original_response(embed=view.first_page(), view=view)

    # -- SponsorBlock announcements -------------------------------------------

    async def on_audio_event(self, event: Any) -> None:
        """Say briefly what SponsorBlock found or skipped; the message removes itself."""
        if isinstance(event, SegmentsLoaded):
            what = tuple(_segment_name(c) for c in event.categories)
            message = plural(
                event.count, "sponsorblock.found_one", "sponsorblock.found_many", categories=what
            )
        elif isinstance(event, SegmentSkipped):
            span = f"{_clock(event.start_ms)}–{_clock(event.end_ms)}"
            message = t("sponsorblock.skipped", segment=_segment_name(event.category), span=span)
        else:
            return
        await announce(
            self.bot, event.guild_id, event.text_channel_id, message, delete_after=ANNOUNCE_FOR_S
        )


def _segment_name(category: str) -> Text | str:
    key = SEGMENT_NAMES.get(category)
    return t(key) if key else category


def _clock(ms: int) -> str:
    return format_duration(ms) if ms >= 1000 else "0:00"
