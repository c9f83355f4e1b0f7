"""The real bot against both fakes: startup, command sync, a command answered, voice join."""

from __future__ import annotations

import time
from pathlib import Path

from tests.e2e.harness import Harness, harness

PRIVILEGED = (1 << 1) | (1 << 8) | (1 << 15)


async def test_bot_comes_ready_and_syncs_commands(h: Harness) -> None:
    """The bot logs in, identifies without privileged intents, and syncs its slash commands."""
    names = {c["name"] for c in h.discord.commands()}
    assert {"play", "skip", "queue", "ping", "seek", "volume"} <= names
    assert h.discord.intents & PRIVILEGED == 0
    assert h.discord.chunk_requests == []


async def test_ping_answers_through_the_interaction_callback(h: Harness) -> None:
    """/ping goes over the bus to the audio side and answers ephemerally with node status."""
    interaction = await h.slash("ping")
    message = await interaction.wait_final()
    assert interaction.ephemeral
    field_values = [f["value"] for f in message["embeds"][0]["fields"]]
    assert any("fake" in v and "🟢" in v for v in field_values)


async def test_play_joins_voice_and_mafic_sends_voice_to_lavalink(h: Harness) -> None:
    """/play: op 4 to the member's channel, voice forwarded to Lavalink, the track starts."""
    h.lavalink.add_track(
        title="Song A",
        author="Artist",
        length=180_000,
        identifier="a1",
        uri="https://example.com/a1",
    )
    await h.join()
    message = await h.reply("play", query="https://example.com/a1")
    assert "Song A" in message["embeds"][0]["description"]
    await h.discord.wait_for_voice(h.world.guild, h.world.voice)
    player = await h.lavalink.wait_for_player(h.world.guild.id, connected=True, playing=True)
    assert player["voice"]["token"] and player["voice"]["endpoint"]
    assert player["track"]["info"]["identifier"] == "a1"


async def test_start_stop_time(tmp_path: Path) -> None:
    """Start to ready and clean stop, measured for the note (not asserted: machines are noisy)."""
    began = time.perf_counter()
    async with harness(tmp_path):
        ready = time.perf_counter()
    ended = time.perf_counter()
    print(f"\nstart→ready {ready - began:.3f}s, stop {ended - ready:.3f}s")
