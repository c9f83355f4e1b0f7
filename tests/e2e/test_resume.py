"""A restart resumes every guild where it was: same channel, same track, near the same position."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from bot.db import QueueSnapshot, QueueStore
from tests.e2e.harness import Harness, harness
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
