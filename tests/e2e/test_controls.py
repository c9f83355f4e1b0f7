"""Controls through the fakes: each slash command's effect on Lavalink's player and on the queue."""

from __future__ import annotations

from tests.e2e.harness import Harness
from tests.e2e.test_play import embed_text


async def start_playing(h: Harness, count: int = 3) -> list[str]:
    """Alice joins voice and queues `count` tracks; the first is playing."""
    urls = h.add_tracks(count)
    await h.join()
    for url in urls:
        await h.reply("play", query=url)
    await h.playing("t1")
    return urls


async def test_pause_and_resume_patch_the_player(h: Harness) -> None:
    """/pause and /resume send paused true/false to Lavalink."""
    await start_playing(h, 1)
    since = h.mark()
    assert "Paused" in embed_text(await h.reply("pause"))
    await h.player_patch(lambda b: b.get("paused") is True, since=since)
    assert "Resumed" in embed_text(await h.reply("resume"))
    await h.player_patch(lambda b: b.get("paused") is False, since=since)


async def test_skip_plays_the_next_track(h: Harness) -> None:
    """/skip replaces the track with the next one."""
    await start_playing(h)
    message = await h.reply("skip")
    assert "Skipped **Track T1**" in embed_text(message)
    await h.playing("t2")


async def test_skip_to_position(h: Harness) -> None:
    """/skip to:2 jumps over the first upcoming track."""
    await start_playing(h)
    await h.reply("skip", to=2)
    await h.playing("t3")


async def test_seek_forms(h: Harness) -> None:
    """/seek 1:23 sends position 83000; +10 moves relative to where the track is."""
    await start_playing(h, 1)
    since = h.mark()
    await h.reply("seek", time="1:23")
    await h.player_patch(lambda b: b.get("position") == 83_000, since=since)
    since = h.mark()
    await h.reply("seek", time="+10")
    body = await h.player_patch(lambda b: "position" in b, since=since)
    assert 93_000 <= body["position"] <= 95_000


async def test_bad_seek_is_explained(h: Harness) -> None:
    """An unreadable time is an ephemeral hint; nothing is sent to Lavalink."""
    await start_playing(h, 1)
    since = h.mark()
    message = await h.reply("seek", time="soon")
    assert "Try `1:23`" in message["content"] and message["ephemeral"]
    assert not [r for r in h.lavalink.requests[since:] if r.method == "PATCH"]


async def test_volume(h: Harness) -> None:
    """/volume 150 sets Lavalink's volume to 150."""
    await start_playing(h, 1)
    since = h.mark()
    await h.reply("volume", level=150)
    await h.player_patch(lambda b: b.get("volume") == 150, since=since)


async def test_controls_need_nothing_playing_error(h: Harness) -> None:
    """Controls with nothing playing say so, ephemerally."""
    await h.join()
    message = await h.reply("pause")
    assert message["content"] == "Nothing is playing." and message["ephemeral"]


async def test_controls_need_the_same_voice_channel(h: Harness) -> None:
    """A member in another channel cannot skip."""
    await start_playing(h, 2)
    await h.join(h.world.bob, h.world.other_voice)
    message = await h.reply("skip", user=h.world.bob)
    assert "You need to be in my voice channel" in message["content"]
    assert message["ephemeral"]


async def test_queue_editing(h: Harness) -> None:
    """/remove, /move and /clear edit the upcoming tracks by position."""
    await start_playing(h, 5)
    assert "Removed **Track T2**" in embed_text(await h.reply("remove", position=1))
    assert "Moved **Track T5**" in embed_text(await h.reply("move", source=3, target=1))
    text = embed_text(await h.reply("queue"))
    assert text.index("Track T5") < text.index("Track T3") < text.index("Track T4")
    bad = await h.reply("remove", position=9)
    assert "choose 1 to 3" in bad["content"] and bad["ephemeral"]
    assert "Removed 3 tracks" in embed_text(await h.reply("clear"))
    assert "The queue is empty" in embed_text(await h.reply("queue"))


async def test_queue_pages_with_buttons(h: Harness) -> None:
    """/queue shows 10 per page; the ▶ button turns to page 2."""
    await start_playing(h, 13)
    interaction = await h.slash("queue")
    first = await interaction.wait_final()
    assert "Page 1/2" in first["embeds"][0]["footer"]["text"]
    click = await h.discord.click(first, "queue:forward", user=h.world.alice)
    await click.wait_response()
    second = await interaction.wait_final(lambda m: "Page 2/2" in m["embeds"][0]["footer"]["text"])
    assert "Track T12" in embed_text(second)


async def test_previous_replays_the_last_track(h: Harness) -> None:
    """/previous after a skip goes back."""
    await start_playing(h, 2)
    await h.reply("skip")
    await h.playing("t2")
    assert "Track T1" in embed_text(await h.reply("previous"))
    await h.lavalink.wait_for_event(
        "TrackStartEvent",
        guild_id=h.world.guild.id,
        count=2,
        predicate=lambda e: e["track"]["info"]["identifier"] == "t1",
    )


async def test_stop_clears_and_leave_disconnects(h: Harness) -> None:
    """/stop stops the player and empties the queue; /leave leaves voice."""
    await start_playing(h, 3)
    since = h.mark()
    assert "Stopped" in embed_text(await h.reply("stop"))
    await h.player_patch(lambda b: "encodedTrack" in b and b["encodedTrack"] is None, since=since)
    assert "The queue is empty" in embed_text(await h.reply("queue"))
    await h.reply("leave")
    await h.discord.wait_for_voice(h.world.guild, None)


async def test_shuffle_and_loop(h: Harness) -> None:
    """/shuffle keeps the tracks; /loop sets the mode shown in /queue."""
    await start_playing(h, 6)
    assert "Shuffled 5 tracks" in embed_text(await h.reply("shuffle"))
    assert "Loop: **queue**" in embed_text(await h.reply("loop", mode="queue"))
    assert "loop queue" in (await h.reply("queue"))["embeds"][0]["footer"]["text"]


async def test_nowplaying_and_history(h: Harness) -> None:
    """/nowplaying shows the track; /history lists what played."""
    await start_playing(h, 2)
    now = await h.reply("nowplaying")
    assert now["embeds"][0]["title"] == "Track T1"
    await h.reply("skip")
    await h.playing("t2")
    await h.bot.get_cog("audio").service.plays.settle()
    history = embed_text(await h.reply("history"))
    assert "Track T1" in history and "Track T2" in history


async def test_rate_limit_says_slow_down(h: Harness) -> None:
    """Past the per-user limit a command is refused with a friendly ephemeral reply."""
    await h.running.stop()
    await h.start(limits={"commands_per_user_per_10s": 2})
    await h.join()
    for _ in range(2):
        await h.reply("queue")
    message = await h.reply("queue")
    assert message["content"].startswith("Slow down") and message["ephemeral"]


async def test_slow_music_server_gets_a_deferred_answer(h: Harness) -> None:
    """When the audio side takes longer than Discord's deadline allows, the reply is deferred
    first and filled in later, instead of the interaction failing."""
    await start_playing(h, 1)
    h.lavalink.slow_responses(2.5, path_pattern=r"/players/")
    interaction = await h.slash("volume", level=90)
    first = await interaction.wait_response(timeout=5)
    assert first.type == 5  # deferred: "thinking…"
    message = await interaction.wait_final(timeout=10)
    assert "Volume set to 90%" in embed_text(message)
    h.lavalink.slow_responses(0)
