"""Embeds for saved playlists and /stats. Pure functions: answers and a locale in, discord.Embed
out."""

from __future__ import annotations

import discord

from bot import audio_commands as ac
from bot.i18n import tr
from bot.music.timefmt import format_duration
from cogs.gateway.render import ACCENT, clip, escape, track_line


def listening_time(ms: int, locale: str) -> str:
    """A long duration in words: "3 d 4 h", "5 h 12 min", "7 min"."""
    minutes = ms // 60_000
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return tr(locale, "library.days_hours", days=days, hours=hours)
    if hours:
        return tr(locale, "library.hours_minutes", hours=hours, minutes=minutes)
    return tr(locale, "library.minutes", minutes=minutes)


def count(number: int, one: str, many: str, locale: str) -> str:
    """ "1 track", "3 tracks": the `one` key for 1, else `many`."""
    return tr(locale, one if number == 1 else many, count=number)


def playlist_list_embed(result: ac.PlaylistList, locale: str) -> discord.Embed:
    """The user's playlists."""
    embed = discord.Embed(title=tr(locale, "library.your_playlists"), colour=ACCENT)
    if not result.playlists:
        embed.description = tr(locale, "library.no_playlists")
        return embed
    lines = [
        f"**{clip(escape(p.name), 60)}** · "
        + count(p.track_count, "common.track", "common.tracks", locale)
        for p in result.playlists
    ]
    embed.description = clip("\n".join(lines), 4096)
    embed.set_footer(
        text=tr(locale, "library.playlists_footer", count=len(result.playlists), limit=result.limit)
    )
    return embed


def playlist_page_embed(page: ac.PlaylistPage, locale: str) -> discord.Embed:
    """One page of a saved playlist."""
    embed = discord.Embed(title=clip(escape(page.name), 256), colour=ACCENT)
    if page.items:
        lines = [f"`{pos}.` {track_line(track, locale)}" for pos, track in page.items]
        embed.description = clip("\n".join(lines), 4096)
    else:
        embed.description = tr(locale, "library.playlist_empty")
    total = format_duration(page.total_ms) if page.total_ms else "0:00"
    tracks = count(page.track_count, "common.track", "common.tracks", locale)
    embed.set_footer(
        text=tr(
            locale,
            "library.playlist_footer",
            page=page.page,
            pages=page.pages,
            tracks=tracks,
            total=total,
        )
    )
    return embed


def stats_embed(report: ac.StatsReport, locale: str) -> discord.Embed:
    """A guild's top tracks, top requesters and listening time."""
    period = (
        tr(locale, "library.last_days", days=report.days)
        if report.days
        else tr(locale, "library.all_history")
    )
    embed = discord.Embed(title=tr(locale, "library.stats_title"), colour=ACCENT)
    if not report.plays:
        embed.description = tr(locale, "library.nothing_played", period=period)
        return embed
    embed.description = tr(
        locale,
        "library.stats_summary",
        plays=count(report.plays, "library.play", "library.plays", locale),
        listened=listening_time(report.listened_ms, locale),
        period=period,
    )
    tracks = [
        f"`{i}.` {_linked(t)} · {clip(escape(t.author), 40)} · {t.plays}×"
        for i, t in enumerate(report.top_tracks, 1)
    ]
    embed.add_field(
        name=tr(locale, "library.top_tracks"), value=clip("\n".join(tracks), 1024), inline=False
    )
    requesters = [
        f"`{i}.` <@{user_id}> · {count(plays, 'library.request', 'library.requests', locale)}"
        for i, (user_id, plays) in enumerate(report.top_requesters, 1)
    ]
    embed.add_field(
        name=tr(locale, "library.top_requesters"),
        value=(
            clip("\n".join(requesters), 1024) if requesters else tr(locale, "library.only_autoplay")
        ),
        inline=False,
    )
    embed.set_footer(text=tr(locale, "library.stats_footer"))
    return embed


def _linked(track: ac.PlayCount) -> str:
    title = clip(escape(track.title), 80)
    return f"[{title}]({track.uri})" if track.uri else f"**{title}**"
