"""A lost Lavalink node's players come back from the voice state the bot kept: no gateway op 4.

Discord allows about 120 gateway sends a minute per shard; leaving and
rejoining every guild of a lost node would spend two per guild.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.harness import Harness, harness, start_bot
from tests.e2e.test_effects import BASS_HIGH, filter_reply
from tests.e2e.test_node_faults import assert_same_place, playing_three, rebuilt_on
from tests.fakes.lavalink import FakeLavalink


def op4_sends(h: Harness) -> list[dict[str, Any]]:
    """Every voice state update (op 4) the bot sent on any gateway connection."""
    return [m for conn in h.discord.connections for m in conn.received if m.get("op") == 4]


def discord_voice(h: Harness) -> dict[str, str]:
    """The voice state the fake Discord handed the bot in the guild."""
    gid = str(h.world.guild.id)
    server = [u for u in h.discord.voice_server_updates if u["guild_id"] == gid][-1]
    state = h.discord.bot_voice_state(h.world.guild)
    assert state is not None
    return {"token": server["token"], "endpoint": server["endpoint"], "sessionId": state.session_id}


def voice_of(body: dict[str, Any]) -> dict[str, str]:
    return {k: body["voice"][k] for k in ("token", "endpoint", "sessionId")}


async def test_restart_moves_the_player_back_without_leaving_voice(h: Harness) -> None:
    """Lavalink restarts: one PATCH with the kept voice state, track, position, volume,
    effects and pause; no op 4, same queue, one message."""
    await playing_three(h)
    await h.reply("volume", level=70)
    await filter_reply(h, "bassboost", level="high")
    await h.reply("pause")
    sent, since = len(op4_sends(h)), h.mark()
    await h.lavalink.restart(downtime=0.3)
    body = await rebuilt_on(h.lavalink, h, since)
    assert voice_of(body) == discord_voice(h)
    assert body["volume"] == 70 and body["paused"] is True
    assert body["filters"] == {"equalizer": BASS_HIGH}
    player = await h.lavalink.wait_for_player(h.world.guild.id, connected=True)
    assert player["paused"] and player["volume"] == 70
    await h.reply("resume")
    await assert_same_place(h, body)
    assert op4_sends(h)[sent:] == []


async def test_clean_close_moves_the_player_without_leaving_voice(h: Harness) -> None:
    """The watchdog's path (a node closed cleanly and connected anew) sends no op 4 either."""
    await playing_three(h)
    sent, since = len(op4_sends(h)), h.mark()
    await h.lavalink.close_websockets(code=1000)
    body = await rebuilt_on(h.lavalink, h, since)
    assert voice_of(body) == discord_voice(h)
    await assert_same_place(h, body)
    assert op4_sends(h)[sent:] == []


async def test_failover_to_a_second_node_keeps_voice(tmp_path: Path) -> None:
    """With the first node down, the player moves to the second with the kept voice state."""
    async with FakeLavalink(label="backup") as backup, harness(tmp_path, start=False) as h:
        settings = h.settings()
        nodes = [h.lavalink.node_config(), backup.node_config()]
        lavalink = settings.lavalink.model_validate(
            {"nodes": nodes, "health_check_interval": 0.1}
        )
        h.running = await start_bot(settings.model_copy(update={"lavalink": lavalink}))
        for fake in (h.lavalink, backup):
            fake.add_track(title="Track T1", author="A", length=180_000, identifier="t1",
                           uri="https://example.com/t1")
        await h.join()
        await h.reply("play", query="https://example.com/t1")
        primary = next(f for f in (h.lavalink, backup) if f.player(h.world.guild.id))
        other = backup if primary is h.lavalink else h.lavalink
        await h.reply("seek", time="1:00")
        sent = len(op4_sends(h))
        await primary.restart(downtime=None)
        body = await rebuilt_on(other, h)
        assert voice_of(body) == discord_voice(h)
        assert 60_000 <= body["position"] <= 70_000 and body["volume"] == 100
        player = await other.wait_for_player(h.world.guild.id, connected=True, playing=True)
        assert player["track"]["info"]["identifier"] == "t1"
        assert op4_sends(h)[sent:] == []
        await primary.come_back()


async def test_a_refused_voice_state_falls_back_to_rejoining(h: Harness) -> None:
    """The node refuses the kept voice state (400): the bot leaves, rejoins and plays on."""
    await playing_three(h)
    sent, since = len(op4_sends(h)), h.mark()
    h.lavalink.fail_requests(400, count=1, path_pattern=rf"/players/{h.world.guild.id}$",
                             method="PATCH")
    await h.lavalink.restart(downtime=0.3)
    body = await rebuilt_on(h.lavalink, h, since)
    await assert_same_place(h, body)
    channels = [m["d"]["channel_id"] for m in op4_sends(h)[sent:]]
    # Leave, then join once. Rarely mafic reconnects the node twice at once and its
    # second player sync sends one more leave before the join (see the session note).
    assert channels[-1] == h.world.voice.id and channels.count(h.world.voice.id) == 1
    assert set(channels[:-1]) == {None} and 1 <= len(channels) - 1 <= 2
