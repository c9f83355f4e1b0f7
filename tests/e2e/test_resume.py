"""A restart resumes every guild where it was: same channel, same track, near the same position."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

import bot.gateway_budget
import cogs.audio.voice
from bot.db import QueueSnapshot, QueueStore
from tests.e2e.harness import GuildWorld, Harness, build_guild, harness
from tests.e2e.test_controls import start_playing
from tests.e2e.test_effects import NIGHTCORE, filter_reply
from tests.e2e.test_play import embed_text
from tests.e2e.test_sponsorblock import category_puts, sponsorblock

FAST_SAVES = {"position_save_interval": 0.05}


async def saved(
    h: Harness, check: Callable[[QueueSnapshot], bool], timeout: float = 5.0
) -> QueueSnapshot:
    """Wait until the guild's saved snapshot satisfies `check` (polling the database)."""
    assert h.bot.db is not None
    store = QueueStore(h.bot.db)
    async with asyncio.timeout(timeout):
        while True:
            snapshot = await store.load_snapshot(h.world.guild.id)
            if snapshot is not None and check(snapshot):
                return snapshot
            await asyncio.sleep(0.02)


async def test_killed_bot_resumes_same_track_near_saved_position(tmp_path: Path) -> None:
    """Kill mid-track (nothing flushed on the way down), start again: it rejoins and continues."""
    async with harness(tmp_path, limits=FAST_SAVES) as h:
        h.add_tracks(3)
        await h.join()
        for i in (1, 2, 3):
            await h.reply("play", query=f"https://example.com/t{i}")
        await h.playing("t1")
        await h.reply("volume", level=80)
        await h.reply("seek", time="1:00")
        position = (await saved(h, lambda s: s.position_ms >= 60_000)).position_ms
        assert h.running is not None
        await h.running.kill()

        since = h.mark()
        await h.start(limits=FAST_SAVES)
        await h.discord.wait_for_voice(h.world.guild, h.world.voice)
        body = await h.player_patch(lambda b: b.get("encodedTrack"), since=since)
        player = await h.lavalink.wait_for_player(h.world.guild.id, connected=True, playing=True)
        assert player["track"]["info"]["identifier"] == "t1"
        assert position <= body["position"] <= position + 5_000
        assert body["volume"] == 80
        queue = await h.reply("queue")
        text = str(queue["embeds"])
        assert "Track T2" in text and "Track T3" in text


async def test_clean_restart_also_resumes_and_reattaches_the_message(tmp_path: Path) -> None:
    """After SIGTERM-style shutdown the queue resumes and the old now-playing message is edited."""
    async with harness(tmp_path, limits=FAST_SAVES) as h:
        h.add_tracks(2)
        await h.join()
        await h.reply("play", query="https://example.com/t1")
        await h.reply("play", query="https://example.com/t2")
        message = await h.discord.wait_for_message(
            h.world.text, lambda m: bool(m["embeds"]) and m["embeds"][0].get("title") == "Track T1"
        )
        await saved(h, lambda s: s.now_playing_message_id == int(message["id"]))
        assert h.running is not None
        await h.running.stop()
        await h.start(limits=FAST_SAVES)
        await h.lavalink.wait_for_player(h.world.guild.id, connected=True, playing=True)
        await h.reply("skip")
        await h.discord.wait_for_message(
            h.world.text,
            lambda m: m["id"] == message["id"] and m["embeds"][0].get("title") == "Track T2",
        )


async def test_paused_guild_resumes_paused(tmp_path: Path) -> None:
    """A guild that was paused comes back paused."""
    async with harness(tmp_path, limits=FAST_SAVES) as h:
        h.add_tracks(1)
        await h.join()
        await h.reply("play", query="https://example.com/t1")
        await h.playing("t1")
        await h.reply("pause")
        assert h.running is not None
        await h.running.stop()
        since = h.mark()
        await h.start(limits=FAST_SAVES)
        body = await h.player_patch(lambda b: b.get("encodedTrack"), since=since)
        assert body["paused"] is True


async def test_effects_and_sponsorblock_come_back_after_a_restart(tmp_path: Path) -> None:
    """A restarted bot sends the saved filters and the guild's SponsorBlock categories again,
    before the track, and the now-playing message still lists the effect."""
    async with harness(tmp_path, start=False) as h:
        h.lavalink.add_plugin("sponsorblock-plugin", "3.0.1")
        await h.start(limits=FAST_SAVES)
        await start_playing(h, 1)
        await filter_reply(h, "nightcore")
        await sponsorblock(h, "skip", sponsor=True, intro=True)
        assert h.running is not None
        await h.running.stop()

        since = h.mark()
        await h.start(limits=FAST_SAVES)
        await h.player_patch(lambda b: b.get("encodedTrack"), since=since)
        patches = [
            r
            for r in h.lavalink.requests[since:]
            if r.method == "PATCH" and r.path.endswith(f"/players/{h.world.guild.id}")
        ]
        with_filters = next(r.seq for r in patches if r.json.get("filters") == NIGHTCORE)
        with_track = next(r.seq for r in patches if r.json.get("encodedTrack"))
        (put,) = category_puts(h, since)
        assert put.json == ["intro", "sponsor"] and put.status == 204
        assert with_filters < with_track and put.seq < with_track
        shown = await h.reply("nowplaying")
        assert "Effects Nightcore" in embed_text(shown)
        status = await sponsorblock(h, "show")
        assert "intro" in embed_text(status).lower() and "sponsor" in embed_text(status).lower()


async def playing_in(h: Harness, count: int) -> list[GuildWorld]:
    """`count` guilds (h.world first), each playing its own track with alice listening."""
    worlds = [h.world, *(build_guild(h.discord, f"Guild {i}") for i in range(1, count))]
    h.extra_guilds = worlds[1:]
    await h.start(limits=FAST_SAVES)
    urls = h.add_tracks(count)
    for world, url in zip(worlds, urls, strict=True):
        await h.join(world=world)
        await h.reply("play", world=world, query=url)
    for i, world in enumerate(worlds, start=1):
        await h.playing(f"t{i}", guild=world)
    return worlds


async def restart(h: Harness, **overrides: object) -> tuple[str, int]:
    """Stop cleanly and start again; the new Lavalink session and where the op 4 log was."""
    assert h.running is not None
    await h.running.stop()
    events, sent = len(h.lavalink.sent_events), len(h.discord.voice_updates)
    await h.start(limits=FAST_SAVES, **overrides)
    return await h.lavalink.wait_for_session(since=events), sent


async def test_restart_rejoins_every_guild_with_one_join_within_the_gateway_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10 guilds, a budget of 4 joins per (scaled-down, 0.5 s) minute: every guild plays its
    track again, each after exactly one op 4, never more than 4 in one window."""
    monkeypatch.setattr(bot.gateway_budget, "WINDOW_S", 0.5)
    async with harness(tmp_path, start=False) as h:
        worlds = await playing_in(h, 10)
        session, sent = await restart(h, discord={"voice_joins_per_minute": 4})
        for i, world in enumerate(worlds, start=1):
            player = await h.lavalink.wait_for_player(
                world.guild.id, connected=True, playing=True, session_id=session
            )
            assert player["track"]["info"]["identifier"] == f"t{i}"
        joins = h.discord.voice_updates[sent:]
        assert sorted(int(d["guild_id"]) for d in joins) == sorted(w.guild.id for w in worlds)
        assert all(d["channel_id"] is not None for d in joins)
        # 4 at once, 4 a window later, the last 2 a window after that (0.1 s for jitter)
        times = h.discord.voice_update_times[sent:]
        assert all(t - times[0] >= (i // 4) * 0.5 - 0.1 for i, t in enumerate(times))
        assert times[-1] - times[0] < 1.5  # and no slower than the budget allows


async def test_a_restore_whose_join_is_lost_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord loses the rejoin in one guild: the bot gives up on that join, not on the
    guild; it joins again and the track plays on, while the other guild is unaffected."""
    monkeypatch.setattr(cogs.audio.voice, "CONNECT_TIMEOUT", 0.5)
    async with harness(tmp_path, start=False) as h:
        lost, fine = await playing_in(h, 2)
        h.discord.lose_voice_joins(lost.guild)
        session, sent = await restart(h)
        player = await h.lavalink.wait_for_player(
            lost.guild.id, connected=True, playing=True, session_id=session, timeout=10.0
        )
        assert player["track"]["info"]["identifier"] == "t1"
        await h.lavalink.wait_for_player(
            fine.guild.id, connected=True, playing=True, session_id=session
        )
        channels = {
            w.guild.id: [d["channel_id"] for d in h.discord.voice_updates[sent:]
                         if int(d["guild_id"]) == w.guild.id]
            for w in (lost, fine)
        }
        # the lost join, the leave that cleans up after its timeout, the join that worked
        assert channels[lost.guild.id] == [lost.voice.id, None, lost.voice.id]
        assert channels[fine.guild.id] == [fine.voice.id]
