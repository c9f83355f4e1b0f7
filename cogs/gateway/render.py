"""Embeds for the audio side's answers. Pure functions: domain objects and a locale in,
discord.Embed out. Titles and authors of tracks are shown as they are, never translated."""

from __future__ import annotations

import discord

from bot import audio_commands as ac
from bot.i18n import tr
from bot.music.queue import LOOP_NAMES
from bot.music.state import NowPlayingState
from bot.music.timefmt import format_duration, progress_bar
from bot.music.track import QueuedTrack

ACCENT = discord.Colour.blurple()
LOOP_LABELS = {"off": "render.loop_off", "track": "render.loop_track", "queue": "render.loop_queue"}


def clip(text: str, limit: int) -> str:
    """Shorten text to Discord's field limits, with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Titles come from outside: keep Markdown and mentions in them inert."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def track_line(track: QueuedTrack, locale: str, *, length: bool = True) -> str:
    """`[Title](uri) · Author · 3:07` for lists."""
    title = clip(escape(track.title), 80)
    shown = f"[{title}]({track.uri})" if track.uri else f"**{title}**"
    line = f"{shown} · {clip(escape(track.author), 40)}"
    if length:
        shown_length = (
            tr(locale, "render.live") if track.is_stream else format_duration(track.length_ms)
        )
        line += " · " + shown_length
    return line


def message_embed(text: str, *, colour: discord.Colour = ACCENT) -> discord.Embed:
    """A one-line answer."""
    return discord.Embed(description=text, colour=colour)


def play_embed(result: ac.PlayResult, locale: str) -> discord.Embed:
    """What /play queued."""
    if result.playlist:
        embed = discord.Embed(
            title=tr(locale, "render.playlist_queued"),
            description=tr(
                locale,
                "render.playlist_tracks",
                name=clip(escape(result.playlist), 200),
                count=len(result.tracks),
            ),
            colour=ACCENT,
        )
        if result.dropped:
            embed.add_field(
                name=tr(locale, "render.queue_limit"),
                value=tr(
                    locale, "render.queue_limit_hit", added=len(result.tracks), left=result.dropped
                ),
            )
        if result.skipped:
            embed.add_field(
                name=tr(locale, "render.not_allowed"),
                value=tr(locale, "render.not_allowed_skipped", count=result.skipped),
            )
        return embed
    track = result.tracks[0]
    title = (
        tr(locale, "render.now_playing")
        if result.started
        else tr(locale, "render.queued_at", position=result.position)
    )
    embed = discord.Embed(title=title, description=track_line(track, locale), colour=ACCENT)
    if track.artwork_url:
        embed.set_thumbnail(url=track.artwork_url)
    return embed


def now_playing_embed(
    state: NowPlayingState, locale: str, position_ms: int | None = None
) -> discord.Embed:
    """The now-playing message: track, requester, progress, loop, queue length."""
    track = state.track
    if track is None:
        return discord.Embed(
            title=tr(locale, "render.nothing_playing"),
            description=tr(locale, "render.queue_ended"),
            colour=ACCENT,
        )
    position = state.position_ms if position_ms is None else position_ms
    embed = discord.Embed(
        title=clip(escape(track.title), 256),
        url=track.uri or None,
        colour=discord.Colour.orange() if state.paused else ACCENT,
    )
    embed.set_author(name=tr(locale, "render.paused" if state.paused else "render.now_playing"))
    embed.description = (
        f"{clip(escape(track.author), 200)}\n\n"
        f"{progress_bar(position, 0 if track.is_stream else track.length_ms)}"
    )
    loop_key = LOOP_LABELS.get(state.loop.value)
    embed.add_field(name=tr(locale, "render.requested_by"), value=f"<@{track.requester_id}>")
    embed.add_field(
        name=tr(locale, "render.loop"),
        value=tr(locale, loop_key) if loop_key else state.loop.value,
    )
    embed.add_field(
        name=tr(locale, "render.up_next"),
        value=tr(locale, "render.track_count", count=state.queue_length),
    )
    embed.add_field(name=tr(locale, "render.volume"), value=f"{state.volume}%")
    if state.effects:
        embed.add_field(
            name=tr(locale, "render.effects"), value=clip(" + ".join(state.effects), 1024)
        )
    if track.artwork_url:
        embed.set_thumbnail(url=track.artwork_url)
    if track.is_autoplay:
        embed.set_footer(text=tr(locale, "render.autoplay"))
    return embed


def queue_embed(page: ac.QueuePage, locale: str) -> discord.Embed:
    """A page of the queue."""
    embed = discord.Embed(title=tr(locale, "render.queue"), colour=ACCENT)
    now = page.now.track
    embed.description = (
        tr(locale, "render.now", track=track_line(now, locale))
        if now is not None
        else tr(locale, "errors.nothing_playing")
    )
    up_next = tr(locale, "render.up_next")
    if page.items:
        lines = [f"`{pos}.` {track_line(track, locale)}" for pos, track in page.items]
        embed.add_field(name=up_next, value=clip("\n".join(lines), 1024), inline=False)
    else:
        embed.add_field(name=up_next, value=tr(locale, "render.queue_empty"), inline=False)
    embed.set_footer(
        text=tr(
            locale,
            "render.queue_footer",
            page=page.page,
            pages=page.pages,
            count=page.now.queue_length,
            total=format_duration(page.total_ms) if page.total_ms else "0:00",
            loop=tr(locale, LOOP_NAMES[page.now.loop]),
        )
    )
    return embed


def history_embed(tracks: list[QueuedTrack], locale: str) -> discord.Embed:
    """Recently played tracks."""
    embed = discord.Embed(title=tr(locale, "render.history"), colour=ACCENT)
    if not tracks:
        embed.description = tr(locale, "render.history_empty")
    else:
        embed.description = clip(
            "\n".join(
                f"`{i}.` {track_line(track, locale, length=False)}"
                for i, track in enumerate(tracks, 1)
            ),
            4096,
        )
    return embed
