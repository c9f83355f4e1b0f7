"""Tracks ending by themselves: loop modes, queue end, failures, idle leave (fast clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import Harness, harness

SHORT = 20_000  # 20 s tracks; at clock speed 200 they last 0.1 s


@pytest.fixture
async def fast(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path, clock_speed=200.0) as running:
        yield running


def started(h: Harness) -> list[str]:
    """Identifiers of TrackStartEvents Lavalink sent for the main guild, in order."""
    gid = str(h.world.guild.id)
    return [
        e["track"]["info"]["identifier"]
        for e in h.lavalink.sent_events
        if e.kind == "TrackStartEvent" and e.get("guildId") == gid
    ]


async def queue_tracks(h: Harness, count: int) -> None:
    """Queue `count` short tracks with a playlist, so they are queued in one command."""
    tracks = [
        h.lavalink.add_track(
            title=f"S{i}",
            author="A",
            length=SHORT,
            identifier=f"s{i}",
            uri=f"https://example.com/s{i}",
        )
        for i in range(1, count + 1)
    ]
    h.lavalink.add_playlist("Shorts", tracks, url="https://example.com/list/shorts")
    await h.join()
    await h.reply("play", query="https://example.com/list/shorts")


async def test_queue_plays_through_and_announces_the_end(fast: Harness) -> None:
    """Loop off: every track once, in order, then "The queue has ended" in the channel."""
    await queue_tracks(fast, 3)
    await fast.discord.wait_for_message(
        fast.world.text,
        lambda m: any("queue has ended" in (e.get("description") or "") for e in m["embeds"]),
    )
    assert started(fast) == ["s1", "s2", "s3"]


async def test_loop_track_repeats(fast: Harness) -> None:
    """Loop track: the same track starts again when it finishes."""
    await fast.join()
    await fast.reply("loop", mode="track")
    await queue_tracks(fast, 2)
    await fast.lavalink.wait_for_event("TrackStartEvent", guild_id=fast.world.guild.id, count=4)
    assert started(fast)[:4] == ["s1", "s1", "s1", "s1"]


async def test_loop_queue_wraps_around(fast: Harness) -> None:
    """Loop queue: after the last track the first one plays again."""
    await fast.join()
    await fast.reply("loop", mode="queue")
    await queue_tracks(fast, 2)
    await fast.lavalink.wait_for_event("TrackStartEvent", guild_id=fast.world.guild.id, count=5)
    assert started(fast)[:5] == ["s1", "s2", "s1", "s2", "s1"]


async def test_failing_track_is_reported_and_skipped(fast: Harness) -> None:
    """A track that throws: a short message in the channel, then the next track plays."""
    fast.lavalink.fail_track("s1", message="Video unavailable")
    await queue_tracks(fast, 2)
    await fast.discord.wait_for_message(
        fast.world.text,
        lambda m: any("Couldn't play **S1**" in (e.get("description") or "") for e in m["embeds"]),
    )
    await fast.lavalink.wait_for_event(
        "TrackStartEvent",
        guild_id=fast.world.guild.id,
        predicate=lambda e: e["track"]["info"]["identifier"] == "s2",
    )


async def test_many_failures_in_a_row_stop_playback(fast: Harness) -> None:
    """Three failures in a row stop with a message instead of churning through the queue."""
    for i in range(1, 6):
        fast.lavalink.fail_track(f"s{i}", message="Video unavailable")
    await queue_tracks(fast, 5)
    await fast.discord.wait_for_message(
        fast.world.text,
        lambda m: any("in a row failed" in (e.get("description") or "") for e in m["embeds"]),
    )
    assert len(started(fast)) == 3


async def test_stuck_track_is_skipped(h: Harness) -> None:
    """TrackStuckEvent → the next track plays."""
    h.lavalink.stick_track("t1", threshold_ms=100)
    h.add_tracks(2)
    await h.join()
    await h.reply("play", query="https://example.com/t1")
    await h.reply("play", query="https://example.com/t2")
    await h.playing("t2")


async def test_idle_disconnect_after_queue_end(tmp_path: Path) -> None:
    """When the queue ends the bot leaves voice after the idle time."""
    async with harness(tmp_path, clock_speed=200.0, limits={"idle_disconnect_s": 0.2}) as h:
        await queue_tracks(h, 1)
        await h.discord.wait_for_voice(h.world.guild, h.world.voice)
        await h.discord.wait_for_voice(h.world.guild, None, timeout=5)


async def test_idle_disconnect_when_everyone_leaves(tmp_path: Path) -> None:
    """Alone in the channel, the bot leaves after the idle time even mid-queue."""
    async with harness(tmp_path, limits={"idle_disconnect_s": 0.2}) as h:
        h.add_tracks(1)
        await h.join()
        await h.reply("play", query="https://example.com/t1")
        await h.playing("t1")
        await h.discord.leave_voice(h.world.guild, h.world.alice)
        await h.discord.wait_for_voice(h.world.guild, None, timeout=5)
