"""Discord gateway faults: reconnects and resumes keep the music playing and commands working."""

from __future__ import annotations

from tests.e2e.harness import Harness
from tests.e2e.test_controls import start_playing


async def still_works(h: Harness) -> None:
    """The player was never touched, and a command after the fault is answered."""
    player = h.lavalink.player(h.world.guild.id)
    assert player is not None and player["track"]["info"]["identifier"] == "t1"
    assert not player["paused"]
    message = await h.reply("skip")
    assert "Skipped **Track T1**" in str(message["embeds"])
    await h.playing("t2")


async def test_op7_reconnect_resumes(h: Harness) -> None:
    """Discord asks for a reconnect: the bot RESUMEs and keeps playing."""
    await start_playing(h, 2)
    since = len(h.discord.requests)
    await h.discord.send_reconnect()
    await h.discord.wait_for_resume()
    await still_works(h)
    assert not [r for r in h.discord.requests[since:] if r.path.endswith("/commands")]


async def test_abrupt_gateway_drop_resumes(h: Harness) -> None:
    """The gateway connection dies without a close frame: reconnect, resume, keep playing."""
    await start_playing(h, 2)
    await h.discord.drop_gateway()
    await h.discord.wait_for_resume()
    await still_works(h)


async def test_resumable_invalid_session(h: Harness) -> None:
    """op 9 with d:true: the bot resumes."""
    await start_playing(h, 2)
    await h.discord.invalidate_session(resumable=True)
    await h.discord.wait_for_resume()
    await still_works(h)


async def test_rest_429_is_honoured(h: Harness) -> None:
    """A 429 on the interaction callback is waited out and retried, and the user is answered."""
    h.add_tracks(1)
    await h.join()
    h.discord.rate_limit(r"/interactions/.*/callback", retry_after=0.05, count=1)
    message = await h.reply("queue")
    assert message["embeds"][0]["title"] == "Queue"
    callbacks = [r for r in h.discord.requests if r.path.endswith("/callback")]
    assert len(callbacks) == 2
