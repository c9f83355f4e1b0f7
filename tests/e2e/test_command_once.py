"""A command runs at most once: not after the user was told it timed out, not twice per id."""

from __future__ import annotations

from pathlib import Path

from bot import audio_commands as ac
from bot.bus import Channel
from tests.e2e.harness import harness
from tests.e2e.test_controls import start_playing
from tests.e2e.test_play import embed_text

TIMED_OUT = "The music service is taking too long"


async def test_a_play_blocked_past_the_timeout_never_queues(tmp_path: Path) -> None:
    """/play waits for the guild behind a stuck command until it times out: the user is told,
    and when the guild frees up the track is not queued after all (a retry would queue it
    twice)."""
    async with harness(tmp_path, limits={"command_timeout": 0.5}) as h:
        await start_playing(h, 1)
        h.add_tracks(1, prefix="late")
        session = h.bot.get_cog("audio").service.sessions[h.world.guild.id]
        await session.lock.acquire()  # a command that is stuck on the guild
        message = await h.reply("play", query="https://example.com/late1")
        assert TIMED_OUT in (message.get("content") or "") + embed_text(message)
        since = h.mark()
        session.lock.release()
        await h.bot.bus.settle()
        queue = embed_text(await h.reply("queue"))
        assert "Track LATE1" not in queue and "Track T1" in queue
        assert not [r for r in h.lavalink.requests[since:] if "late1" in str(r.query)]


async def test_the_same_play_delivered_twice_queues_once(tmp_path: Path) -> None:
    """A Play with one command id, delivered twice, queues its track once; both get the answer."""
    async with harness(tmp_path) as h:
        await start_playing(h, 1)
        h.add_tracks(1, prefix="twice")
        command = ac.Play(
            guild_id=h.world.guild.id,
            user_id=h.world.alice.id,
            channel_id=h.world.text.id,
            voice_channel_id=h.world.voice.id,
            query="https://example.com/twice1",
            command_id="1234567890",
        )
        first = await h.bot.bus.request(Channel.COMMANDS, command, timeout=5)
        again = await h.bot.bus.request(Channel.COMMANDS, command, timeout=5)
        assert first == again and first.position == 1
        queue = embed_text(await h.reply("queue"))
        assert queue.count("Track TWICE1") == 1
