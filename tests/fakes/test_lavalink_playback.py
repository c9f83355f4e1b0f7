"""Playback, events, resuming and restarts of the fake Lavalink.

Event shapes and order come from Lavalink's ``docs/api/websocket.md`` and the
protocol page ``/work/shared/protocols/lavalink-v4.md``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import mafic
import mafic.node
import pytest

from tests.fakes.lavalink import FakeLavalink
from tests.fakes.lavalink_testkit import (
    RawLavalinkClient,
    StubDiscordClient,
    reset_mafic_node_pool,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::mafic.warnings.UnsupportedVersionWarning"),
    # mafic 2.11 logs reconnects through the deprecated Logger.warn
    pytest.mark.filterwarnings("ignore:The 'warn' method is deprecated:DeprecationWarning"),
]

GUILD = 555


@pytest.fixture
async def fake() -> AsyncIterator[FakeLavalink]:
    async with FakeLavalink(clock_speed=1.0, player_update_interval=0.05) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def raw(fake: FakeLavalink, http: aiohttp.ClientSession) -> AsyncIterator[RawLavalinkClient]:
    client = RawLavalinkClient(http, fake.url, fake.password)
    await client.connect()
    yield client
    await client.close()


def kinds(fake: FakeLavalink, since: int = 0) -> list[str]:
    return [m.kind for m in fake.sent_events[since:] if m.get("guildId") == str(GUILD)]


async def play(raw: RawLavalinkClient, track: dict[str, Any], **extra: Any) -> dict[str, Any]:
    status, player = await raw.patch_player(GUILD, {"encodedTrack": track["encoded"], **extra})
    assert status == 200, player
    return player


# -- voice and playerUpdate ------------------------------------------------------------
async def test_player_update_after_full_voice_state(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    status, player = await raw.connect_voice(GUILD)
    assert status == 200 and player["state"]["connected"] is True
    assert player["voice"]["sessionId"] == f"vs{GUILD}"
    first = await fake.wait_for_event("playerUpdate", GUILD)
    assert first["state"]["connected"] is True and first["state"]["ping"] >= 0
    assert set(first["state"]) == {"time", "position", "connected", "ping"}
    reply_seq = fake.requests[-1].reply_seq
    assert reply_seq is not None and first.seq < reply_seq  # sent before the HTTP reply
    await fake.wait_for_event("playerUpdate", GUILD, count=3)  # then periodically
    assert (await fake.wait_for_player(GUILD, connected=True))["guildId"] == str(GUILD)


async def test_voice_closed_event(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    await raw.connect_voice(GUILD)
    await fake.voice_closed(GUILD, code=4014, reason="Disconnected.", by_remote=True)
    event = await fake.wait_for_event("WebSocketClosedEvent", GUILD)
    assert event == {
        "op": "event", "type": "WebSocketClosedEvent", "guildId": str(GUILD),
        "code": 4014, "reason": "Disconnected.", "byRemote": True,
    }  # fmt: skip
    player = await fake.wait_for_player(GUILD, connected=False)
    assert player["state"]["ping"] == -1


# -- event order -----------------------------------------------------------------------
async def test_replace_emits_end_start_update_before_reply(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    a = fake.add_track(title="A", length=180_000)
    b = fake.add_track(title="B", length=180_000)
    await raw.connect_voice(GUILD)
    await play(raw, a)
    mark = len(fake.sent_events)
    player = await play(raw, b)
    assert player["track"]["encoded"] == b["encoded"]
    reply_seq = fake.requests[-1].reply_seq
    assert reply_seq is not None
    sent = [m for m in fake.sent_events[mark:] if m.seq < reply_seq and m.kind != "playerUpdate"]
    end, start = sent[:2]
    assert (end.kind, end["reason"], end["track"]["encoded"]) == (
        "TrackEndEvent", "replaced", a["encoded"],
    )  # fmt: skip
    assert (start.kind, start["track"]["encoded"]) == ("TrackStartEvent", b["encoded"])
    update = next(m for m in fake.sent_events[mark:] if m.seq > start.seq)
    assert update.kind == "playerUpdate" and update.seq < reply_seq


async def test_natural_end_is_finished_with_fast_clock(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    fake.clock_speed = 1000  # 180 000 ms track -> 0.18 s
    song = fake.add_track(title="Song", length=180_000)
    await raw.connect_voice(GUILD)
    await play(raw, song)
    end = await fake.wait_for_event("TrackEndEvent", GUILD, timeout=3)
    assert end["reason"] == "finished" and end["track"]["encoded"] == song["encoded"]
    assert end["track"]["info"]["position"] == 180_000
    assert kinds(fake).index("TrackStartEvent") < kinds(fake).index("TrackEndEvent")
    assert (await fake.wait_for_player(GUILD))["track"] is None


async def test_no_voice_no_progress(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    fake.clock_speed = 1000
    song = fake.add_track(title="Song", length=50)
    await play(raw, song)  # no voice connection: lavaplayer is never asked for frames
    await fake.wait_for_event("TrackStartEvent", GUILD)
    assert fake.player(GUILD)["state"]["position"] == 0  # type: ignore[index]
    await raw.connect_voice(GUILD)
    assert (await fake.wait_for_event("TrackEndEvent", GUILD))["reason"] == "finished"


async def test_stop_and_delete_are_stopped(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    song = fake.add_track(title="Song")
    await raw.connect_voice(GUILD)
    await play(raw, song)
    status, player = await raw.patch_player(GUILD, {"encodedTrack": None})
    assert status == 200 and player["track"] is None
    assert (await fake.wait_for_event("TrackEndEvent", GUILD))["reason"] == "stopped"
    await play(raw, song)
    await raw.rest("DELETE", f"/v4/sessions/{raw.session_id}/players/{GUILD}")
    end = await fake.wait_for_event("TrackEndEvent", GUILD, count=2)
    assert end["reason"] == "stopped"
    assert fake.player(GUILD) is None


async def test_failing_track_exception_then_load_failed(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    song = fake.add_track(title="Song", identifier="bad1")
    fake.fail_track("bad1", "This video is unavailable", "common")
    await raw.connect_voice(GUILD)
    await play(raw, song)
    end = await fake.wait_for_event("TrackEndEvent", GUILD)
    exc = await fake.wait_for_event("TrackExceptionEvent", GUILD)
    assert exc.seq < end.seq and end["reason"] == "loadFailed"
    assert exc["exception"]["message"] == "This video is unavailable"
    assert exc["exception"]["severity"] == "common" and exc["exception"]["cause"]
    assert kinds(fake)[-2:] == ["TrackExceptionEvent", "TrackEndEvent"]


async def test_mid_stream_failure(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    fake.clock_speed = 1000
    song = fake.add_track(title="Song", identifier="bad2", length=180_000)
    fake.fail_track("bad2", "Connection reset", "fault", after_ms=60_000)
    await raw.connect_voice(GUILD)
    await play(raw, song)
    end = await fake.wait_for_event("TrackEndEvent", GUILD)
    assert end["reason"] == "loadFailed" and end["track"]["info"]["position"] == 60_000


async def test_stuck_track(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    fake.clock_speed = 100
    song = fake.add_track(title="Song", identifier="stuck1")
    fake.stick_track("stuck1", threshold_ms=5_000)
    await raw.connect_voice(GUILD)
    await play(raw, song)
    event = await fake.wait_for_event("TrackStuckEvent", GUILD)
    assert event["thresholdMs"] == 5_000 and event["track"]["encoded"] == song["encoded"]


# -- position, pause, seek, endTime, filters ---------------------------------------------
async def test_pause_seek_volume_filters(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    song = fake.add_track(title="Song", length=600_000)
    await raw.connect_voice(GUILD)
    await play(raw, song, paused=True, position=10_000)
    player = fake.player(GUILD)
    assert player is not None and player["paused"] and player["state"]["position"] == 10_000
    fake.speed_up(1000)
    status, player = await raw.patch_player(GUILD, {"position": 90_000, "volume": 150})
    assert (player["state"]["position"], player["volume"]) == (90_000, 150)
    filters = {"timescale": {"speed": 2.0}, "equalizer": [{"band": 0, "gain": 0.2}]}
    status, player = await raw.patch_player(GUILD, {"paused": False, "filters": filters})
    assert status == 200
    assert player["filters"] == filters and player["paused"] is False
    update = await fake.wait_for_event(
        "playerUpdate", GUILD, predicate=lambda m: m["state"]["position"] > 100_000
    )
    assert update["state"]["connected"] is True


async def test_end_time_finishes_early(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    fake.clock_speed = 1000
    song = fake.add_track(title="Song", length=3_600_000)
    await raw.connect_voice(GUILD)
    await play(raw, song, endTime=30_000)
    end = await fake.wait_for_event("TrackEndEvent", GUILD)
    assert end["reason"] == "finished" and end["track"]["info"]["position"] == 30_000


async def test_no_replace_keeps_current_and_track_object_form(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    a = fake.add_track(title="A")
    b = fake.add_track(title="B")
    await play(raw, a)
    status, player = await raw.patch_player(
        GUILD, {"encodedTrack": b["encoded"]}, no_replace="True"
    )
    assert player["track"]["encoded"] == a["encoded"]
    body = {"track": {"encoded": b["encoded"], "userData": {"requester": 7}}}
    status, player = await raw.patch_player(GUILD, body, no_replace="False")
    assert status == 200 and player["track"]["userData"] == {"requester": 7}
    start = await fake.wait_for_event("TrackStartEvent", GUILD, count=2)
    assert start["track"]["userData"] == {"requester": 7}
    status, player = await raw.patch_player(GUILD, {"identifier": a["info"]["uri"]})
    assert status == 200 and player["track"]["info"]["title"] == "A"


# -- sessions: resume, close, drop, restart ---------------------------------------------
async def test_resume_within_timeout_keeps_players_and_replays_events(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    song = fake.add_track(title="Song", length=600_000)
    old = raw.session_id
    await raw.rest("PATCH", f"/v4/sessions/{old}", {"resuming": True, "timeout": 60})
    await raw.connect_voice(GUILD)
    await play(raw, song)
    await raw.close()
    await fake.wait_for_request("GET", "/v4/websocket")  # already recorded
    status, _ = await raw.patch_player(GUILD, {"encodedTrack": None})  # while paused
    assert status == 200
    mark = len(fake.sent_events)
    ready = await raw.connect(session_id=old)
    assert ready == {"op": "ready", "resumed": True, "sessionId": old}
    assert raw.ws is not None
    replayed = await fake.wait_for_event("TrackEndEvent", GUILD, since=mark)
    assert replayed["reason"] == "stopped"
    status, players = await raw.rest("GET", f"/v4/sessions/{old}/players")
    assert [p["guildId"] for p in players] == [str(GUILD)]


async def test_paused_session_expires_after_timeout(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    old = raw.session_id or ""
    await raw.rest("PATCH", f"/v4/sessions/{old}", {"resuming": True, "timeout": 1})
    await raw.patch_player(GUILD, {"volume": 10})
    session = fake.session(old)
    assert session is not None
    session.timeout = 0.05  # type: ignore[assignment]  # the API only takes whole seconds
    await raw.close()
    await fake.wait_for_request("GET", lambda r: r.path == "/v4/websocket" and r.status == 101)
    await fake.wait_for_player(GUILD, connected=None)  # still there while paused
    await asyncio.wait_for(session.expiry_task or asyncio.sleep(0), 5)
    assert fake.session(old) is None
    ready = await raw.connect(session_id=old)
    assert ready["resumed"] is False


async def test_unknown_or_non_resumable_session_gets_new_id(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    old = raw.session_id
    await raw.patch_player(GUILD, {"volume": 10})
    await raw.close()  # resuming was never enabled: session and players die
    await fake.wait_for_request("GET", lambda r: r.path == "/v4/websocket" and r.status is not None)
    ready = await raw.connect(session_id=old)
    assert ready["resumed"] is False and ready["sessionId"] != old
    assert (await raw.rest("GET", f"/v4/sessions/{old}/players"))[0] == 404


async def test_restart_new_session_players_gone(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    old = raw.session_id
    await raw.rest("PATCH", f"/v4/sessions/{old}", {"resuming": True})
    await raw.patch_player(GUILD, {"volume": 10})
    await fake.restart(downtime=None)
    assert raw.ws is not None
    msg = await raw.receive_close()
    assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    with pytest.raises(aiohttp.ClientConnectionError):
        await raw.rest("GET", "/version")  # down: connection refused
    await fake.come_back()
    assert (await raw.rest("GET", f"/v4/sessions/{old}/players"))[0] == 404
    ready = await raw.connect(session_id=old)
    assert ready["resumed"] is False and ready["sessionId"] != old
    assert (await raw.rest("GET", f"/v4/sessions/{raw.session_id}/players")) == (200, [])


async def test_clean_close_and_abrupt_drop_are_distinguishable(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    assert raw.ws is not None
    await fake.close_websockets(code=1000, reason="bye")
    msg = await raw.receive_close()
    assert (msg.type, msg.data, msg.extra) == (aiohttp.WSMsgType.CLOSE, 1000, "bye")
    assert raw.ws.close_code == 1000
    await raw.connect()
    await fake.drop_websockets()
    msg = await raw.receive_close()
    assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert raw.ws.close_code == aiohttp.WSCloseCode.ABNORMAL_CLOSURE


async def test_mafic_reconnects_with_new_session_after_drop(
    fake: FakeLavalink, monkeypatch: pytest.MonkeyPatch
) -> None:
    class NoBackoff:
        def delay(self) -> float:
            return 0.01

    monkeypatch.setattr(mafic.node, "ExponentialBackoff", NoBackoff)
    reset_mafic_node_pool()
    client = StubDiscordClient()
    node: mafic.Node[StubDiscordClient] = mafic.Node(client=client, **fake.node_config())
    try:
        await node.connect()
        first = node.session_id
        await fake.drop_websockets()
        await client.wait_for_dispatch("node_unavailable")
        await client.wait_for_dispatch("node_ready", count=2)
        assert node.session_id not in (None, first)
        assert fake.player(GUILD, node.session_id) is None
    finally:
        await node.close()
        reset_mafic_node_pool()
