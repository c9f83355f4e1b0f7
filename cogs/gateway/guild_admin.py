"""Guild administration: /voteskip, /247 and /settings (show, set, reset).

Viewing is for everyone; changing a setting needs Manage Server (or
Administrator). Every change goes through `GuildSettingsCache.update`, whose
validation has the last word; its refusal names the option to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import audio_commands as ac
from bot.command_tree import defer_public
from bot.db.errors import InvalidSettingError
from bot.db.guild_settings import GuildSettings
from bot.errors import UserError
from bot.i18n import AUTO, DEFAULT_LOCALE, Text, catalog, plain, t, tr
from bot.i18n.reader import forget_locale, interaction_locale
from bot.i18n.translator import localized_choice
from bot.music.source_policy import LINK_HOSTS, source_label
from bot.music.sources import SOURCES, source_named
from bot.music.timefmt import format_duration, parse_seek
from cogs.gateway import render
from cogs.gateway.command_path import ask_audio, run_voice_command

if TYPE_CHECKING:
    from bot.app import MusicBot
    from bot.db import GuildSettingsCache


@dataclass(frozen=True)
class SettingSpec:
    """One guild setting as /settings shows it: its option name, label key and display."""

    field: str
    option: str
    label: str
    """The catalog key of the setting's name."""
    show: Callable[[Any], Text]
    unit: str | None = None
    """The catalog key saying how the option's number is read (e.g. "in seconds")."""


def _on_off(value: bool) -> Text:
    return t("settings.on" if value else "settings.off")


def _language(value: str) -> Text:
    if value == AUTO:
        return t("settings.language_auto")
    return plain(language_name(value))


def _sources(value: tuple[str, ...] | None) -> Text:
    if value is None:
        return t("settings.all_sources")
    return plain(", ".join(source_label(name) for name in value))


ALL_SOURCES = frozenset({"all", "any", "*"})
KNOWN_SOURCES = frozenset({*SOURCES, *LINK_HOSTS.values(), "http"})


def parse_sources(text: str) -> tuple[str, ...] | None:
    """`youtube, soundcloud` → ("youtube", "soundcloud"); `all` → None (every source)."""
    names = [part.strip().lower() for part in text.replace(";", ",").split(",") if part.strip()]
    if not names or ALL_SOURCES.intersection(names):
        return None
    for name in names:
        if name not in KNOWN_SOURCES:
            raise UserError("settings.bad_sources", name=name[:32])
    return tuple(dict.fromkeys(names))


def language_name(locale: str) -> str:
    """A catalog locale's name as its speakers write it ("Deutsch")."""
    return catalog().lookup(locale, "meta.name") or locale


AUTOPLAY_NAMES = {
    "artist": "settings.autoplay.artist",
    "genre": "settings.autoplay.genre",
    "mixed": "settings.autoplay.mixed",
    "off": "settings.autoplay.off",
    "similar": "settings.autoplay.similar",
}


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "dj_role_id",
        "dj_role",
        "settings.label.dj_role",
        lambda v: plain(f"<@&{v}>") if v else t("settings.no_dj_role"),
    ),
    SettingSpec(
        "announce_channel_id",
        "announce_channel",
        "settings.label.announce_channel",
        lambda v: plain(f"<#{v}>") if v else t("settings.no_announce_channel"),
    ),
    SettingSpec("stay_247", "stay_247", "settings.label.stay_247", _on_off),
    SettingSpec(
        "autoplay_mode", "autoplay", "settings.label.autoplay", lambda v: t(AUTOPLAY_NAMES[v])
    ),
    SettingSpec(
        "max_queue_length",
        "max_queue_length",
        "settings.label.max_queue_length",
        lambda v: t("render.track_count", count=v),
    ),
    SettingSpec(
        "max_track_length_s",
        "max_track_length",
        "settings.label.max_track_length",
        lambda v: (
            plain(format_duration(v * 1000)) if v else t("settings.no_limit")
        ),
        unit="settings.in_seconds",
    ),
    SettingSpec(
        "vote_skip_ratio",
        "vote_skip",
        "settings.label.vote_skip",
        lambda v: t("settings.vote_share", percent=round(v * 100)),
    ),
    SettingSpec(
        "default_source",
        "default_source",
        "settings.label.default_source",
        lambda v: plain(SOURCES[v].label if v in SOURCES else v),
    ),
    SettingSpec(
        "default_volume",
        "default_volume",
        "settings.label.default_volume",
        lambda v: plain(f"{v}%"),
    ),
    SettingSpec("language", "language", "settings.label.language", _language),
    SettingSpec(
        "allowed_sources", "allowed_sources", "settings.label.allowed_sources", _sources
    ),
)
SPECS = {spec.field: spec for spec in SETTINGS}


def settings_embed(
    settings: GuildSettings, locale: str, *, changed: tuple[str, ...] = ()
) -> discord.Embed:
    """Every setting of the guild; `changed` (field names) are marked."""
    embed = discord.Embed(
        title=tr(locale, "settings.updated" if changed else "settings.title"),
        colour=render.ACCENT,
    )
    for spec in SETTINGS:
        mark = " ✏️" if spec.field in changed else ""
        value = spec.show(getattr(settings, spec.field)).render(locale)
        embed.add_field(name=tr(locale, spec.label) + mark, value=value)
    embed.set_footer(text=tr(locale, "settings.footer"))
    return embed


def require_manage_server(interaction: discord.Interaction[Any]) -> None:
    """Refuse members who may not manage the server."""
    permissions = interaction.permissions
    if not (permissions.manage_guild or permissions.administrator):
        raise UserError("settings.needs_manage_server")


def parse_track_length(text: str) -> int:
    """`4:00`, `1:30:00` or `240` (seconds) → seconds; the store checks the bounds."""
    target = parse_seek(text)
    if target.relative:
        raise UserError("settings.bad_length", text=text[:20])
    return target.ms // 1000


AUTOPLAY_CHOICES = [
    localized_choice("choice.autoplay.artist", "artist", "artist"),
    localized_choice("choice.autoplay.genre", "genre", "genre"),
    localized_choice("choice.autoplay.mixed", "mixed", "mixed"),
    localized_choice("choice.autoplay.off", "off", "off"),
    localized_choice("choice.autoplay.similar", "similar", "similar"),
]
LANGUAGE_CHOICES = [
    localized_choice("choice.language.auto", "Each member's own Discord language", AUTO),
    *(
        app_commands.Choice(name=language_name(locale), value=locale)
        for locale in catalog().locales
    ),
]
RESET_CHOICES = [
    localized_choice(spec.label, tr(DEFAULT_LOCALE, spec.label), spec.field) for spec in SETTINGS
]


class GuildAdmin(commands.Cog, name="guild_admin"):
    """/voteskip, /247 and /settings."""

    settings = app_commands.Group(
        name="settings", description="Show or change this server's music settings", guild_only=True
    )

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot

    def _cache(self) -> GuildSettingsCache:
        if self.bot.guild_settings is None:
            raise UserError("settings.no_database")
        return self.bot.guild_settings

    async def _change(self, interaction: discord.Interaction[Any], **changes: Any) -> GuildSettings:
        """Validate and store `changes`; a refusal names the option to fix."""
        guild_id = interaction.guild_id or 0
        try:
            updated = await self._cache().update(guild_id, **changes)
        except InvalidSettingError as exc:
            spec = SPECS.get(exc.field)
            option = spec.option if spec else exc.field
            if spec is not None and spec.unit is not None:
                raise UserError(
                    "settings.invalid_with_unit",
                    option=option,
                    unit=t(spec.unit),
                    reason=exc.reason_text,
                ) from None
            raise UserError("settings.invalid", option=option, reason=exc.reason_text) from None
        user_id = interaction.user.id
        # The audio side acts on these now (idle timer, autoplay when idle), not at the next track.
        if "stay_247" in changes:
            await ask_audio(
                self.bot,
                ac.StayConnectedChanged(
                    guild_id=guild_id, user_id=user_id, enabled=updated.stay_247
                ),
            )
        if "autoplay_mode" in changes:
            await ask_audio(
                self.bot,
                ac.AutoplayChanged(guild_id=guild_id, user_id=user_id, mode=updated.autoplay_mode),
            )
        return updated

    async def _check_autoplay_allowed(self, guild_id: int, mode: str | None) -> None:
        """The `autoplay` feature flag can turn autoplay off for a guild, as for /autoplay."""
        flags = self.bot.flags
        if mode in (None, "off") or flags is None:
            return
        if not await flags.is_enabled("autoplay", guild_id):
            raise UserError("autoplay.disabled")

    # -- vote-skip and 24/7 ---------------------------------------------------

    @app_commands.command(name="voteskip", description="Vote to skip the current song")
    @app_commands.guild_only()
    async def voteskip(self, interaction: discord.Interaction[Any]) -> None:
        """Skip once enough listeners voted (the requester, DJs and admins skip at once)."""
        await run_voice_command(self.bot, interaction, ac.VoteSkip)

    @app_commands.command(name="247", description="Stay in voice when idle (needs Manage Server)")
    @app_commands.describe(enabled="On or off; leave empty to switch")
    @app_commands.guild_only()
    async def stay_247(
        self, interaction: discord.Interaction[Any], enabled: bool | None = None
    ) -> None:
        """Switch 24/7: the bot no longer leaves voice after the queue ends or everyone left."""
        require_manage_server(interaction)
        if enabled is None:
            enabled = not (await self._cache().get(interaction.guild_id or 0)).stay_247
        await self._change(interaction, stay_247=enabled)
        text = tr(
            await interaction_locale(interaction),
            "settings.stay_on" if enabled else "settings.stay_off",
        )
        await interaction.response.send_message(embed=render.message_embed(text))

    # -- /settings ------------------------------------------------------------

    @settings.command(name="show", description="Show this server's music settings")
    async def settings_show(self, interaction: discord.Interaction[Any]) -> None:
        """The current settings, to the member who asked."""
        current = await self._cache().get(interaction.guild_id or 0)
        locale = await interaction_locale(interaction)
        await interaction.response.send_message(
            embed=settings_embed(current, locale), ephemeral=True
        )

    @settings.command(name="set", description="Change music settings (needs Manage Server)")
    @app_commands.describe(
        dj_role="Members with this role may skip, stop, clear and change the volume",
        announce_channel="Where I post what is playing",
        stay_247="Stay in voice when idle",
        autoplay="What plays when the queue ends",
        max_queue_length="Most tracks the queue may hold",
        max_track_length="Longest track allowed: 10:00, 1:30:00 or 600 (seconds)",
        vote_skip="Percent of listeners whose votes skip a song",
        default_source="Where searches go when no source is given",
        default_volume="Volume when playback starts (0-200)",
        language="The language of my replies; automatic: each member's own",
        allowed_sources=(
            "Where members may play from, comma-separated: youtube, soundcloud; all for every"
        ),
    )
    @app_commands.choices(autoplay=AUTOPLAY_CHOICES, language=LANGUAGE_CHOICES)
    async def settings_set(
        self,
        interaction: discord.Interaction[Any],
        dj_role: discord.Role | None = None,
        announce_channel: discord.TextChannel | None = None,
        stay_247: bool | None = None,
        autoplay: str | None = None,
        max_queue_length: app_commands.Range[int, 1, 10_000] | None = None,
        max_track_length: str | None = None,
        vote_skip: app_commands.Range[int, 0, 100] | None = None,
        default_source: str | None = None,
        default_volume: app_commands.Range[int, 0, 200] | None = None,
        language: str | None = None,
        allowed_sources: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        """Change the given settings together (all or none), then show them all."""
        require_manage_server(interaction)
        given: dict[str, Any] = {
            "dj_role_id": dj_role.id if dj_role is not None else None,
            "announce_channel_id": announce_channel.id if announce_channel is not None else None,
            "stay_247": stay_247,
            "autoplay_mode": autoplay,
            "max_queue_length": max_queue_length,
            "max_track_length_s": (
                parse_track_length(max_track_length) if max_track_length is not None else None
            ),
            "vote_skip_ratio": vote_skip / 100 if vote_skip is not None else None,
            "default_source": (
                source_named(default_source).name if default_source is not None else None
            ),
            "default_volume": default_volume,
            "language": language,
        }
        changes = {name: value for name, value in given.items() if value is not None}
        if allowed_sources is not None:  # None is a value here: every source
            changes["allowed_sources"] = parse_sources(allowed_sources)
        if not changes:
            raise UserError("settings.nothing_given")
        await self._check_autoplay_allowed(interaction.guild_id or 0, autoplay)
        await defer_public(interaction)  # switching autoplay on may start a search or two
        updated = await self._change(interaction, **changes)
        forget_locale(interaction)  # a new language applies to this very answer
        locale = await interaction_locale(interaction)
        await interaction.edit_original_response(
            embed=settings_embed(updated, locale, changed=tuple(changes))
        )

    @settings_set.autocomplete("default_source")
    async def source_autocomplete(
        self, _interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """The sources the bot knows."""
        needle = current.strip().casefold()
        return [
            app_commands.Choice(name=s.label, value=s.name)
            for s in SOURCES.values()
            if needle in s.name or needle in s.label.casefold()
        ]

    @settings.command(name="reset", description="Put a setting back to its default")
    @app_commands.describe(setting="The setting to reset")
    @app_commands.choices(setting=RESET_CHOICES)
    async def settings_reset(self, interaction: discord.Interaction[Any], setting: str) -> None:
        """Restore one setting to this bot's default (no DJ role, no announce channel, ...)."""
        require_manage_server(interaction)
        guild_id = interaction.guild_id or 0
        default = getattr(self.bot.default_guild_settings(guild_id), setting)
        if setting == "autoplay_mode":
            await self._check_autoplay_allowed(guild_id, default)
        await defer_public(interaction)
        updated = await self._change(interaction, **{setting: default})
        forget_locale(interaction)
        locale = await interaction_locale(interaction)
        await interaction.edit_original_response(
            embed=settings_embed(updated, locale, changed=(setting,))
        )
