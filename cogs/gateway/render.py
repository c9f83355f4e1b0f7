"""Embeds for the audio side's answers. Pure functions: domain objects in, discord.Embed out."""

from __future__ import annotations

import discord

from bot import audio_commands as ac
from bot.music.state import NowPlayingState
from bot.music.timefmt import format_duration, progress_bar
from bot.music.track import QueuedTrack

ACCENT = discord.Colour.blurple()
LOOP_LABELS = {"off": "Off", "track": "🔂 Track", "queue": "🔁 Queue"}


def clip(text: str, limit: int) -> str:
    """Shorten text to Discord's field limits, with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Titles come from outside: keep Markdown and mentions in them inert."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def track_line(track: QueuedTrack, *, length: bool = True) -> str:
    """`[Title](uri) · Author · 3:07` for lists."""
    title = clip(escape(track.title), 80)
    shown = f"[{title}]({track.uri})" if track.uri else f"**{title}**"
    line = f"{shown} · {clip(escape(track.author), 40)}"
    if length:
        line += " · " + ("live" if track.is_stream else format_duration(track.length_ms))
    return line


def message_embed(text: str, *, colour: discord.Colour = ACCENT) -> discord.Embed:
    """A one-line answer."""
    return discord.Embed(description=text, colour=colour)


def play_embed(result: ac.PlayResult) -> discord.Embed:
    """What /play queued."""
    if result.playlist:
        embed = discord.Embed(
            title="Playlist queued",
            description=f"**{clip(escape(result.playlist), 200)}**: {len(result.tracks)} tracks",
            colour=ACCENT,
        )
        if result.dropped:
            embed.add_field(
                name="Queue limit",
                value=f"Added {len(result.tracks)}; {result.dropped} did not fit in the queue.",
            )
        if result.skipped:
            embed.add_field(
                name="Not allowed here",
                value=f"Skipped {result.skipped} from sources this server doesn't allow.",
            )
        return embed
    track = result.tracks[0]
    title = "Now playing" if result.started else f"Queued at position {result.position}"
    embed = discord.Embed(title=title, description=track_line(track), colour=ACCENT)
    if track.artwork_url:
        embed.set_thumbnail(url=track.artwork_url)
    return embed


def now_playing_embed(state: NowPlayingState, position_ms: int | None = None) -> discord.Embed:
    """The now-playing message: track, requester, progress, loop, queue length."""
    track = state.track
    if track is None:
        return discord.Embed(
            title="Nothing playing", description="The queue has ended.", colour=ACCENT
        )
    position = state.position_ms if position_ms is None else position_ms
    embed = discord.Embed(
        title=clip(escape(track.title), 256),
        url=track.uri or None,
        colour=discord.Colour.orange() if state.paused else ACCENT,
    )
    embed.set_author(name="Paused" if state.paused else "Now playing")
    embed.description = (
        f"{clip(escape(track.author), 200)}\n\n"
        f"{progress_bar(position, 0 if track.is_stream else track.length_ms)}"
    )
    embed.add_field(name="Requested by", value=f"<@{track.requester_id}>")
    embed.add_field(name="Loop", value=LOOP_LABELS.get(state.loop.value, state.loop.value))
    embed.add_field(name="Up next", value=f"{state.queue_length} tracks")
    embed.add_field(name="Volume", value=f"{state.volume}%")
    if state.effects:
        embed.add_field(name="Effects", value=clip(" + ".join(state.effects), 1024))
    if track.artwork_url:
        embed.set_thumbnail(url=track.artwork_url)
    if track.is_autoplay:
        embed.set_footer(text="Autoplay")
    return embed


def queue_embed(page: ac.QueuePage) -> discord.Embed:
    """A page of the queue."""
    embed = discord.Embed(title="Queue", colour=ACCENT)
    now = page.now.track
    embed.description = f"**Now:** {track_line(now)}" if now is not None else "Nothing is playing."
    if page.items:
        lines = [f"`{pos}.` {track_line(track)}" for pos, track in page.items]
        embed.add_field(name="Up next", value=clip("\n".join(lines), 1024), inline=False)
    else:
        embed.add_field(name="Up next", value="The queue is empty.", inline=False)
    embed.set_footer(
        text=f"Page {page.page}/{page.pages} · {page.now.queue_length} tracks · "
        f"{format_duration(page.total_ms) if page.total_ms else '0:00'} · "
        f"loop {page.now.loop.value}"
    )
    return embed


def history_embed(tracks: list[QueuedTrack]) -> discord.Embed:
    """Recently played tracks."""
    embed = discord.Embed(title="Recently played", colour=ACCENT)
    if not tracks:
        embed.description = "Nothing has been played here yet."
    else:
        embed.description = clip(
            "\n".join(f"`{i}.` {track_line(t, length=False)}" for i, t in enumerate(tracks, 1)),
            4096,
        )
    return embed
