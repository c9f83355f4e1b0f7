"""/247 through the fakes: with it on the bot stays in voice after the queue ends."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.harness import Harness, harness
from tests.e2e.test_play import embed_text
from tests.e2e.test_settings import owner

IDLE_S = 0.3


async def play_short_track(h: Harness) -> None:
    """Alice plays one 200 ms track; it ends by itself and the queue is over."""
    h.add_tracks(1, length=200)
    await h.join()
    await h.reply("play", query="https://example.com/t1")
    await h.lavalink.wait_for_event("TrackEndEvent", guild_id=h.world.guild.id)


async def test_bot_leaves_after_the_queue_ends_without_247(tmp_path: Path) -> None:
    """24/7 off (the default): idle for idle_disconnect_s, then out of voice."""
    async with harness(tmp_path, limits={"idle_disconnect_s": IDLE_S}) as h:
        await play_short_track(h)
        await h.discord.wait_for_voice(h.world.guild, None, timeout=3)


async def test_bot_stays_after_the_queue_ends_with_247(tmp_path: Path) -> None:
    """24/7 on: several idle timeouts after the queue ended the bot is still in voice."""
    async with harness(tmp_path, limits={"idle_disconnect_s": IDLE_S}) as h:
        message = await h.reply("247", enabled=True, user=owner(h))
        assert "24/7 is **on**" in embed_text(message)
        await play_short_track(h)
        await asyncio.sleep(IDLE_S * 4)
        await h.discord.wait_for_voice(h.world.guild, h.world.voice, timeout=0.1)


async def test_switching_247_off_while_idle_leaves(tmp_path: Path) -> None:
    """/247 without a value switches it; off while idle starts the idle timer at once."""
    async with harness(tmp_path, limits={"idle_disconnect_s": IDLE_S}) as h:
        await h.reply("247", user=owner(h))
        await play_short_track(h)
        await asyncio.sleep(IDLE_S * 2)
        await h.discord.wait_for_voice(h.world.guild, h.world.voice, timeout=0.1)
        message = await h.reply("247", user=owner(h))
        assert "24/7 is **off**" in embed_text(message)
        await h.discord.wait_for_voice(h.world.guild, None, timeout=3)


async def test_switching_247_on_cancels_a_pending_disconnect(tmp_path: Path) -> None:
    """The idle timer already running when 24/7 is switched on does not disconnect."""
    async with harness(tmp_path, limits={"idle_disconnect_s": 1.0}) as h:
        await play_short_track(h)
        await h.reply("247", enabled=True, user=owner(h))
        await asyncio.sleep(1.5)
        await h.discord.wait_for_voice(h.world.guild, h.world.voice, timeout=0.1)
