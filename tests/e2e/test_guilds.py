"""Several guilds and moderators: no interference, disconnects and moves handled."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import build_guild, harness


async def test_two_guilds_play_independently(tmp_path: Path) -> None:
    """Two guilds play different tracks; a skip in one leaves the other alone."""
    async with harness(tmp_path, start=False) as h:
        other = build_guild(h.discord, "Guild B")
        await h.start()
        h.add_tracks(2, prefix="a")
        h.add_tracks(2, prefix="b")
        await h.join()
        await h.join(world=other)
        for prefix, world in (("a", h.world), ("b", other)):
            for i in (1, 2):
                await h.reply("play", world=world, query=f"https://example.com/{prefix}{i}")
        await h.playing("a1")
        await h.playing("b1", guild=other)
        await h.reply("skip")
        await h.playing("a2")
        player_b = h.lavalink.player(other.guild.id)
        assert player_b is not None and player_b["track"]["info"]["identifier"] == "b1"
        queue_b = await h.reply("queue", world=other)
        assert "Track B2" in str(queue_b["embeds"]) and "Track A" not in str(queue_b["embeds"])


async def test_moderator_disconnect_clears_the_guild(tmp_path: Path) -> None:
    """When a moderator disconnects the bot, its playback there is forgotten."""
    async with harness(tmp_path) as h:
        h.add_tracks(2)
        await h.join()
        await h.reply("play", query="https://example.com/t1")
        await h.playing("t1")
        await h.discord.wait_for_message(
            h.world.text, lambda m: bool(m["embeds"]) and m["embeds"][0].get("title") == "Track T1"
        )
        await h.discord.leave_voice(h.world.guild, h.world.guild.me)
        await h.discord.wait_for_message(
            h.world.text,
            lambda m: bool(m["embeds"]) and m["embeds"][0].get("description") == "Disconnected.",
        )
        message = await h.reply("nowplaying")
        assert message["content"] == "Nothing is playing."


async def test_moved_bot_keeps_playing_in_the_new_channel(tmp_path: Path) -> None:
    """Moved by a moderator, the bot keeps playing and obeys members of the new channel."""
    async with harness(tmp_path) as h:
        h.add_tracks(2)
        await h.join()
        await h.reply("play", query="https://example.com/t1")
        await h.reply("play", query="https://example.com/t2")
        await h.playing("t1")
        await h.discord.move_voice(h.world.guild, h.world.guild.me, h.world.other_voice)
        await h.join(h.world.bob, h.world.other_voice)
        await h.discord.wait_for_voice(h.world.guild, h.world.other_voice)
        message = await h.reply("skip", user=h.world.bob)
        assert "Skipped" in str(message["embeds"])
        await h.playing("t2")


async def test_voice_4006_reconnects_and_keeps_playing(tmp_path: Path) -> None:
    """Discord invalidated the voice session (4006): rejoin and continue the same track."""
    async with harness(tmp_path) as h:
        h.add_tracks(2)
        await h.join()
        await h.reply("play", query="https://example.com/t1")
        await h.reply("play", query="https://example.com/t2")
        await h.playing("t1")
        await h.reply("seek", time="0:30")
        since = h.mark()
        await h.lavalink.voice_closed(h.world.guild.id, code=4006, reason="Session no longer valid")
        body = await h.player_patch(lambda b: b.get("encodedTrack"), since=since)
        assert body["position"] >= 30_000
        player = await h.lavalink.wait_for_player(h.world.guild.id, connected=True, playing=True)
        assert player["track"]["info"]["identifier"] == "t1"
        assert "Track T2" in str((await h.reply("queue"))["embeds"])


async def test_voice_4014_disconnected_cleans_up(tmp_path: Path) -> None:
    """4014 (disconnected by someone): the guild's playback is forgotten."""
    async with harness(tmp_path) as h:
        h.add_tracks(1)
        await h.join()
        await h.reply("play", query="https://example.com/t1")
        await h.playing("t1")
        await h.discord.wait_for_message(
            h.world.text, lambda m: bool(m["embeds"]) and m["embeds"][0].get("title") == "Track T1"
        )
        await h.discord.leave_voice(h.world.guild, h.world.guild.me)
        await h.lavalink.voice_closed(h.world.guild.id, code=4014, reason="Disconnected")
        await h.discord.wait_for_message(
            h.world.text,
            lambda m: bool(m["embeds"]) and m["embeds"][0].get("description") == "Disconnected.",
        )
        assert (await h.reply("nowplaying"))["content"] == "Nothing is playing."
