"""Lavalink going away: players are rebuilt with the same track near the same position."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.harness import Harness, harness
from tests.fakes.lavalink import FakeLavalink

NODE_LOST = "Lost the connection to the music server"


async def playing_three(h: Harness, lavalink: FakeLavalink | None = None) -> None:
    """Alice queues three tracks; the first plays and has been sought to 1:00."""
    h.add_tracks(3)
    await h.join()
    for i in (1, 2, 3):
        await h.reply("play", query=f"https://example.com/t{i}")
    await h.playing("t1")
    await h.reply("seek", time="1:00")


async def rebuilt_on(lavalink: FakeLavalink, h: Harness, since: int = 0) -> dict[str, Any]:
    """Wait for the player to be recreated on `lavalink` with a track; return the PATCH body."""
    gid = h.world.guild.id

    def recreated(request: Any) -> bool:
        return (
            request.method == "PATCH"
            and request.path.endswith(f"/players/{gid}")
            and isinstance(request.json, dict)
            and bool(request.json.get("encodedTrack"))
        )

    request = await lavalink.wait_for_request(path=recreated, since=since, timeout=10)
    return request.json


def node_lost_messages(h: Harness) -> list[dict[str, Any]]:
    return [
        m
        for m in h.discord.messages.get(h.world.text.id, [])
        if any(NODE_LOST in (e.get("description") or "") for e in m["embeds"])
    ]


async def assert_same_place(h: Harness, body: dict[str, Any]) -> None:
    """Track t1 near 1:00, queue t2, t3 unchanged, one message to the channel."""
    player = await h.lavalink.wait_for_player(h.world.guild.id, connected=True, playing=True)
    assert player["track"]["info"]["identifier"] == "t1"
    assert 60_000 <= body["position"] <= 70_000
    queue = str((await h.reply("queue"))["embeds"])
    assert queue.count("Track T2") == 1 and queue.count("Track T3") == 1
    assert len(node_lost_messages(h)) == 1


async def test_clean_close_rebuilds_on_the_same_node(h: Harness) -> None:
    """mafic stops listening after a clean close; the watchdog notices and rebuilds."""
    await playing_three(h)
    since = h.mark()
    await h.lavalink.close_websockets(code=1000)
    body = await rebuilt_on(h.lavalink, h, since)
    await assert_same_place(h, body)


async def test_abrupt_drop_rebuilds_after_mafic_reconnects(h: Harness) -> None:
    """An abrupt drop: mafic reconnects with a new session; the player is recreated in it."""
    await playing_three(h)
    since = h.mark()
    await h.lavalink.drop_websockets()
    body = await rebuilt_on(h.lavalink, h, since)
    await assert_same_place(h, body)


async def test_restart_with_new_session_rebuilds(h: Harness) -> None:
    """Lavalink restarts (all sessions gone): the player is recreated in the new session."""
    await playing_three(h)
    since = h.mark()
    await h.lavalink.restart(downtime=0.3)
    body = await rebuilt_on(h.lavalink, h, since)
    await assert_same_place(h, body)


async def test_failover_to_a_second_node(tmp_path: Path) -> None:
    """With two nodes, players on a dead node move to the healthy one at once."""
    async with FakeLavalink(label="backup") as backup, harness(tmp_path, start=False) as h:
        settings = h.settings()
        nodes = [h.lavalink.node_config(), backup.node_config()]
        settings = settings.model_copy(
            update={
                "lavalink": settings.lavalink.model_copy(
                    update={"nodes": settings.lavalink.model_validate({"nodes": nodes}).nodes}
                )
            }
        )
        from tests.e2e.harness import start_bot

        h.running = await start_bot(settings)
        for fake in (h.lavalink, backup):
            fake.add_track(
                title="Track T1",
                author="A",
                length=180_000,
                identifier="t1",
                uri="https://example.com/t1",
            )
        await h.join()
        await h.reply("play", query="https://example.com/t1")
        primary = next(f for f in (h.lavalink, backup) if f.player(h.world.guild.id))
        other = backup if primary is h.lavalink else h.lavalink
        await h.reply("seek", time="1:00")
        await primary.restart(downtime=None)
        body = await rebuilt_on(other, h)
        assert body["encodedTrack"]
        assert 60_000 <= body["position"] <= 70_000
        player = await other.wait_for_player(h.world.guild.id, connected=True, playing=True)
        assert player["track"]["info"]["identifier"] == "t1"
        await primary.come_back()


async def test_skip_right_after_a_restart_loses_no_tracks(h: Harness) -> None:
    """A command that hits the dead session keeps the queue: nothing is dropped as 'broken'."""
    h.add_tracks(4)
    await h.join()
    for i in (1, 2, 3, 4):
        await h.reply("play", query=f"https://example.com/t{i}")
    await h.playing("t1")
    await h.lavalink.restart(downtime=0)
    await h.reply("skip")  # may run before or after the bot notices; either way no loss
    player = await h.lavalink.wait_for_player(h.world.guild.id, connected=True, playing=True,
                                              timeout=10)
    playing = player["track"]["info"]["identifier"]
    queue = str((await h.reply("queue"))["embeds"])
    remaining = [t for t in ("Track T2", "Track T3", "Track T4") if t in queue]
    if playing == "t1":  # the skip was refused while reconnecting
        assert remaining == ["Track T2", "Track T3", "Track T4"]
    else:
        assert playing == "t2" and remaining == ["Track T3", "Track T4"]


async def test_node_state_is_visible(h: Harness) -> None:
    """Each node's state (up, down/reconnecting, up again) is exposed for /info and metrics."""
    from prometheus_client import REGISTRY

    audio = h.bot.get_cog("audio")
    assert audio.nodes.state("fake") == "up"
    await playing_three(h)
    since = h.mark()
    await h.lavalink.restart(downtime=None)
    await h.discord.wait_for_message(  # the one message of the outage: the node is known lost
        h.world.text,
        lambda m: any(NODE_LOST in (e.get("description") or "") for e in m["embeds"]),
    )
    assert audio.nodes.state("fake") in ("reconnecting", "down")
    audio.nodes.refresh_gauge()
    state = audio.nodes.state("fake")
    assert REGISTRY.get_sample_value("lavalink_node_state", {"node": "fake", "state": state}) == 1
    await h.lavalink.come_back()
    await rebuilt_on(h.lavalink, h, since)
    assert audio.nodes.state("fake") == "up"
