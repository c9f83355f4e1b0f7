"""Embeds for saved playlists and /stats. Pure functions: answers in, discord.Embed out."""

from __future__ import annotations

import discord

from bot import audio_commands as ac
from bot.music.timefmt import format_duration
from cogs.gateway.render import ACCENT, clip, escape, track_line


def listening_time(ms: int) -> str:
    """A long duration in words: "3 d 4 h", "5 h 12 min", "7 min"."""
    minutes = ms // 60_000
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def count(number: int, noun: str) -> str:
    """ "1 track", "3 tracks"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def playlist_list_embed(result: ac.PlaylistList) -> discord.Embed:
    """The user's playlists."""
    embed = discord.Embed(title="Your playlists", colour=ACCENT)
    if not result.playlists:
        embed.description = (
            "You have no playlists yet. `/playlist save` keeps the current queue; "
            "`/playlist add` starts one with a song."
        )
        return embed
    lines = [
        f"**{clip(escape(p.name), 60)}** · {count(p.track_count, 'track')}"
        for p in result.playlists
    ]
    embed.description = clip("\n".join(lines), 4096)
    embed.set_footer(text=f"{len(result.playlists)}/{result.limit} playlists")
    return embed


def playlist_page_embed(page: ac.PlaylistPage) -> discord.Embed:
    """One page of a saved playlist."""
    embed = discord.Embed(title=clip(escape(page.name), 256), colour=ACCENT)
    if page.items:
        lines = [f"`{pos}.` {track_line(track)}" for pos, track in page.items]
        embed.description = clip("\n".join(lines), 4096)
    else:
        embed.description = "This playlist is empty. Add songs with `/playlist add`."
    total = format_duration(page.total_ms) if page.total_ms else "0:00"
    embed.set_footer(
        text=f"Page {page.page}/{page.pages} · {count(page.track_count, 'track')} · {total}"
    )
    return embed


def stats_embed(report: ac.StatsReport) -> discord.Embed:
    """A guild's top tracks, top requesters and listening time."""
    period = f"the last {report.days} days" if report.days else "all recorded history"
    embed = discord.Embed(title="Listening stats", colour=ACCENT)
    if not report.plays:
        embed.description = f"Nothing has been played here in {period}."
        return embed
    noun = "play" if report.plays == 1 else "plays"
    listened = listening_time(report.listened_ms)
    embed.description = f"**{report.plays}** {noun} · **{listened}** of music in {period}."
    tracks = [
        f"`{i}.` {_linked(t)} · {clip(escape(t.author), 40)} · {t.plays}×"
        for i, t in enumerate(report.top_tracks, 1)
    ]
    embed.add_field(name="Top tracks", value=clip("\n".join(tracks), 1024), inline=False)
    requesters = [
        f"`{i}.` <@{user_id}> · {count(plays, 'request')}"
        for i, (user_id, plays) in enumerate(report.top_requesters, 1)
    ]
    embed.add_field(
        name="Top requesters",
        value=clip("\n".join(requesters), 1024) if requesters else "Only autoplay so far.",
        inline=False,
    )
    embed.set_footer(text="Members who used /stats optout are not counted.")
    return embed


def _linked(track: ac.PlayCount) -> str:
    title = clip(escape(track.title), 80)
    return f"[{title}]({track.uri})" if track.uri else f"**{title}**"
