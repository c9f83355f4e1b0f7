"""The fake Lavalink checked against Lavalink v4's docs (rest.md / websocket.md).

Connections, REST shapes, loading/decoding and the fault switches.  Playback and
event-order tests live in ``test_lavalink_playback.py``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import mafic
import pytest

from tests.fakes.lavalink import FakeLavalink
from tests.fakes.lavalink_testkit import (
    RawLavalinkClient,
    StubDiscordClient,
    reset_mafic_node_pool,
)

# The fake reports 4.1.1 (like current servers); mafic 2.11 warns for any 4.x > 4.0.
pytestmark = pytest.mark.filterwarnings("ignore::mafic.warnings.UnsupportedVersionWarning")

ROOT = Path(__file__).resolve().parents[2]
ERROR_KEYS = {"timestamp", "status", "error", "message", "path"}
TRACK_KEYS = {"encoded", "info", "pluginInfo", "userData"}
INFO_KEYS = {
    "identifier", "isSeekable", "author", "length", "isStream", "position",
    "title", "uri", "artworkUrl", "isrc", "sourceName",
}  # fmt: skip


@pytest.fixture
async def fake() -> AsyncIterator[FakeLavalink]:
    reset_mafic_node_pool()
    async with FakeLavalink(player_update_interval=0.05) as server:
        yield server
    reset_mafic_node_pool()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def raw(fake: FakeLavalink, http: aiohttp.ClientSession) -> AsyncIterator[RawLavalinkClient]:
    client = RawLavalinkClient(http, fake.url, fake.password)
    yield client
    await client.close()


@pytest.fixture
async def node(fake: FakeLavalink) -> AsyncIterator[mafic.Node[StubDiscordClient]]:
    client = StubDiscordClient()
    n: mafic.Node[StubDiscordClient] = mafic.Node(client=client, timeout=5, **fake.node_config())
    await n.connect()
    yield n
    await n.close()


# -- connecting and auth ---------------------------------------------------------------
async def test_version_is_plain_text(raw: RawLavalinkClient) -> None:
    async with raw.http.get(f"{raw.url}/version", headers={"Authorization": raw.password}) as r:
        assert r.status == 200
        assert r.content_type == "text/plain"
        assert await r.text() == "4.1.1"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/version"),
        ("GET", "/v4/info"),
        ("GET", "/v4/stats"),
        ("GET", "/v4/loadtracks?identifier=x"),
        ("PATCH", "/v4/sessions/abc"),
        ("DELETE", "/v4/sessions/abc/players/1"),
    ],
)
async def test_rest_requires_password(raw: RawLavalinkClient, method: str, path: str) -> None:
    for password in ("wrong", ""):
        status, body = await raw.rest(method, path, password=password)
        assert status == 401
        assert set(body) == ERROR_KEYS
        assert body["status"] == 401 and body["path"] == path.split("?")[0]


async def test_websocket_wrong_password_is_401_before_upgrade(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    raw.password = "wrong"
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await raw.connect()
    assert info.value.status == 401
    assert fake.session_ids == []
    assert fake.sent_events == []


async def test_mafic_with_wrong_password_raises_unauthorized(fake: FakeLavalink) -> None:
    config = {**fake.node_config(), "password": "wrong"}
    node: mafic.Node[StubDiscordClient] = mafic.Node(client=StubDiscordClient(), **config)
    try:
        with pytest.raises(mafic.HTTPUnauthorized):
            await node.fetch_tracks("anything", search_type="ytsearch")
    finally:
        await node.close()


async def test_mafic_node_connects_gets_ready_and_stats(
    fake: FakeLavalink, node: mafic.Node[StubDiscordClient]
) -> None:
    assert node.available
    assert node.session_id in fake.session_ids
    assert node.version == 4
    headers = fake.requests[1].headers
    assert (fake.requests[0].method, fake.requests[0].path) == ("GET", "/version")
    assert fake.requests[1].path == "/v4/websocket"
    assert headers["User-Id"] == str(node.client.user.id)
    assert headers["Client-Name"].startswith("Mafic/")
    # mafic configures resuming right after ready, then lists players
    patch = await fake.wait_for_request("PATCH", f"^/v4/sessions/{node.session_id}$")
    assert patch.json == {"resuming": True, "timeout": 60}
    session = fake.session(node.session_id or "")
    assert session is not None and session.resuming and session.timeout == 60
    await fake.wait_for_request("GET", f"/v4/sessions/{node.session_id}/players")
    await fake.send_stats()  # mafic only handles ops after its own setup finished
    await node.client.wait_for_dispatch("node_stats")
    assert node.stats is not None
    assert node.stats.cpu.cores > 0 and node.stats.memory.reservable > 0
    assert node.weight < 1e6


async def test_first_ops_are_ready_then_stats(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    ready = await raw.connect()
    assert ready == {"op": "ready", "resumed": False, "sessionId": raw.session_id}
    assert raw.ws is not None
    stats = await raw.recv()
    assert stats["op"] == "stats"
    assert stats["cpu"]["cores"] > 0 and stats["memory"]["reservable"] > 0
    assert stats["frameStats"] is None  # no players yet
    assert {"players", "playingPlayers", "uptime", "memory", "cpu"} <= set(stats)
    assert [m.kind for m in fake.sent_events] == ["ready", "stats"]


async def test_stats_repeat_every_interval(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    fake.stats_interval = 0.02
    await raw.connect()
    await fake.wait_for_event("stats", count=3)


async def test_missing_user_id_is_rejected(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    headers = {"Authorization": fake.password, "Client-Name": "x/1"}
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await raw.http.ws_connect(f"{fake.url}/v4/websocket", headers=headers)
    assert info.value.status == 400


async def test_info_stats_and_plugins(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    status, info = await raw.rest("GET", "/v4/info")
    assert status == 200
    assert info["version"]["semver"] == "4.1.1"
    assert (info["version"]["major"], info["version"]["minor"]) == (4, 1)
    assert {"buildTime", "git", "jvm", "lavaplayer", "filters", "plugins"} <= set(info)
    assert {"youtube", "soundcloud", "http"} <= set(info["sourceManagers"])
    assert info["plugins"] == []
    fake.add_plugin("lavasrc-plugin", "4.2.0")
    fake.add_plugin("lavasearch-plugin", "1.0.0")
    _, info = await raw.rest("GET", "/v4/info")
    assert {"name": "lavasrc-plugin", "version": "4.2.0"} in info["plugins"]
    assert "spotify" in info["sourceManagers"]
    status, stats = await raw.rest("GET", "/v4/stats")
    assert status == 200 and "frameStats" not in stats  # docs: missing on REST


# -- sessions and players over REST -----------------------------------------------------
async def test_session_patch_and_unknown_session(raw: RawLavalinkClient) -> None:
    await raw.connect()
    path = f"/v4/sessions/{raw.session_id}"
    assert await raw.rest("PATCH", path, {"resuming": True, "timeout": 30}) == (
        200,
        {"resuming": True, "timeout": 30},
    )
    status, body = await raw.rest("PATCH", "/v4/sessions/nope", {"resuming": True})
    assert status == 404 and body["message"] == "Session not found"
    status, body = await raw.rest("GET", "/v4/sessions/nope/players")
    assert status == 404 and set(body) == ERROR_KEYS


async def test_patch_player_returns_full_player(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    track = fake.add_track(title="Song", author="Band", length=180_000)
    await raw.connect()
    status, player = await raw.patch_player(42, {"encodedTrack": track["encoded"], "volume": 80})
    assert status == 200
    assert set(player) == {"guildId", "track", "volume", "paused", "state", "voice", "filters"}
    assert player["guildId"] == "42" and player["volume"] == 80 and player["paused"] is False
    assert set(player["track"]) == TRACK_KEYS and player["track"]["encoded"] == track["encoded"]
    assert set(player["state"]) == {"time", "position", "connected", "ping"}
    assert player["state"]["connected"] is False and player["state"]["ping"] == -1
    assert player["voice"] == {"token": "", "endpoint": "", "sessionId": ""}
    status, fetched = await raw.rest("GET", f"/v4/sessions/{raw.session_id}/players/42")
    assert status == 200 and fetched["track"]["encoded"] == track["encoded"]
    status, players = await raw.rest("GET", f"/v4/sessions/{raw.session_id}/players")
    assert [p["guildId"] for p in players] == ["42"]


async def test_delete_player_is_204_even_for_unknown_guild(raw: RawLavalinkClient) -> None:
    await raw.connect()
    base = f"/v4/sessions/{raw.session_id}/players"
    assert await raw.rest("DELETE", f"{base}/999") == (204, None)
    await raw.patch_player(7, {"volume": 50})
    assert await raw.rest("DELETE", f"{base}/7") == (204, None)
    status, body = await raw.rest("GET", f"{base}/7")
    assert status == 404 and body["message"] == "Player not found"


@pytest.mark.parametrize("value", ["True", "False", "true", "FALSE"])
async def test_no_replace_accepts_any_case(raw: RawLavalinkClient, value: str) -> None:
    await raw.connect()
    status, _ = await raw.patch_player(1, {"volume": 10}, no_replace=value)
    assert status == 200


@pytest.mark.parametrize(
    "body",
    [
        {"volume": 1001},
        {"volume": -1},
        {"position": -5},
        {"endTime": 0},
        {"paused": "yes"},
        {"encodedTrack": "QUJDRA=="},  # valid base64, not a track the fake issued
        {"encodedTrack": "not base64!"},
        {"identifier": "ytsearch:song"},  # a search result cannot be played
        {"voice": {"token": "t", "endpoint": "e"}},  # partial voice state
        {"track": {"encoded": None}, "encodedTrack": None},
        {"track": {"encoded": "x", "identifier": "y"}},
    ],
)
async def test_patch_player_validation(
    fake: FakeLavalink, raw: RawLavalinkClient, body: dict[str, object]
) -> None:
    fake.add_track(title="Song")
    await raw.connect()
    status, err = await raw.patch_player(1, body)
    assert status == 400, err
    assert set(err) == ERROR_KEYS and err["status"] == 400


async def test_unknown_no_replace_value_is_400(raw: RawLavalinkClient) -> None:
    await raw.connect()
    status, _ = await raw.patch_player(1, {"volume": 10}, no_replace="maybe")
    assert status == 400


# -- loading and decoding ----------------------------------------------------------------
def _assert_track_shape(track: dict[str, object]) -> None:
    assert set(track) == TRACK_KEYS
    assert isinstance(track["info"], dict) and set(track["info"]) == INFO_KEYS
    assert track["pluginInfo"] == {} and track["userData"] == {}


async def test_loadtracks_all_five_load_types(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    song = fake.add_track(title="Never Gonna", author="Rick", identifier="dQw", isrc="GB1")
    other = fake.add_track(title="Other", author="Band")
    pl = fake.add_playlist("Mix", [song, other], url="https://yt.example/list=PL1", selected=1)
    fake.fail_load("broken", "This video is unavailable", "common")

    async def load(identifier: str) -> dict[str, object]:
        status, body = await raw.rest("GET", "/v4/loadtracks", params={"identifier": identifier})
        assert status == 200
        assert set(body) == {"loadType", "data"}
        return body

    result = await load(song["info"]["uri"])
    assert result == {"loadType": "track", "data": song}
    _assert_track_shape(song)
    assert song["info"]["isrc"] == "GB1" and song["info"]["sourceName"] == "youtube"
    assert (await load("dQw"))["loadType"] == "track"
    result = await load("https://yt.example/list=PL1")
    assert result["loadType"] == "playlist"
    assert result["data"] == pl
    assert set(pl) == {"info", "pluginInfo", "tracks"}
    assert pl["info"] == {"name": "Mix", "selectedTrack": 1}
    result = await load("ytsearch:never gonna")
    assert result == {"loadType": "search", "data": [song]}
    assert await load("ytsearch:nothing like this") == {"loadType": "empty", "data": {}}
    assert await load("https://nowhere.example/x.mp3") == {"loadType": "empty", "data": {}}
    result = await load("https://yt.example/broken")
    assert result["loadType"] == "error"
    error = result["data"]
    assert isinstance(error, dict) and set(error) == {"message", "severity", "cause"}
    assert error["severity"] == "common"


async def test_search_prefixes_follow_sources_and_plugins(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    yt = fake.add_track(title="Shared Title", author="A")
    sc = fake.add_track(title="Shared Title", author="B", source="soundcloud")
    sp = fake.add_track(title="Shared Title", author="C", source="spotify")

    async def search(q: str) -> dict[str, object]:
        return (await raw.rest("GET", "/v4/loadtracks", params={"identifier": q}))[1]

    assert (await search("ytsearch:shared"))["data"] == [yt]
    assert (await search("ytmsearch:SHARED title"))["data"] == [yt]
    assert (await search("scsearch:shared"))["data"] == [sc]
    # Without LavaSrc "spsearch:" is no prefix at all: nothing matches the identifier.
    assert (await search("spsearch:shared"))["loadType"] == "empty"
    fake.add_plugin("lavasrc-plugin")
    assert (await search("spsearch:shared"))["data"] == [sp]
    assert (await search("scsearch:b"))["data"] == [sc]  # author matches too


async def test_mafic_fetch_tracks_understands_every_load_type(
    fake: FakeLavalink, node: mafic.Node[StubDiscordClient]
) -> None:
    song = fake.add_track(title="Song", author="Band")
    fake.add_playlist("PL", [song], url="https://yt.example/pl")
    fake.fail_load("bad", "Boom", "fault")
    tracks = await node.fetch_tracks("Song", search_type="ytsearch")
    assert isinstance(tracks, list) and tracks[0].title == "Song"
    assert tracks[0].id == song["encoded"]
    playlist = await node.fetch_tracks("https://yt.example/pl", search_type="ytsearch")
    assert isinstance(playlist, mafic.Playlist) and playlist.name == "PL"
    assert await node.fetch_tracks("nothing", search_type="ytsearch") == []
    with pytest.raises(mafic.TrackLoadException) as info:
        await node.fetch_tracks("bad", search_type="ytsearch")
    assert info.value.severity == "fault"


async def test_decode_round_trip(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    a = fake.add_track(title="A", author="X", length=1000)
    b = fake.add_track(title="B", author="Y", is_stream=True, source="twitch")
    status, decoded = await raw.rest(
        "GET", "/v4/decodetrack", params={"encodedTrack": a["encoded"]}
    )
    assert status == 200 and decoded == a
    status, many = await raw.rest("POST", "/v4/decodetracks", [a["encoded"], b["encoded"]])
    assert status == 200 and many == [a, b]
    assert b["info"]["isStream"] and not b["info"]["isSeekable"]
    status, err = await raw.rest("GET", "/v4/decodetrack", params={"encodedTrack": "QUJD"})
    assert status == 400 and set(err) == ERROR_KEYS
    status, err = await raw.rest("POST", "/v4/decodetracks", [])
    assert status == 400


async def test_mafic_decode_tracks(fake: FakeLavalink, node: mafic.Node[StubDiscordClient]) -> None:
    a = fake.add_track(title="A", author="X")
    track = await node.decode_track(a["encoded"])
    assert (track.title, track.author, track.id) == ("A", "X", a["encoded"])
    assert [t.title for t in await node.decode_tracks([a["encoded"]] * 2)] == ["A", "A"]


async def test_encoded_tracks_survive_a_restart(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    a = fake.add_track(title="A")
    await fake.restart()
    status, decoded = await raw.rest(
        "GET", "/v4/decodetrack", params={"encodedTrack": a["encoded"]}
    )
    assert status == 200 and decoded["info"]["title"] == "A"


# -- fault switches ---------------------------------------------------------------------
async def test_fail_requests_injects_5xx(fake: FakeLavalink, node: mafic.Node[object]) -> None:
    fake.fail_requests(503, count=2, path_pattern="/loadtracks")
    for _ in range(2):
        with pytest.raises(mafic.HTTPException) as info:
            await node.fetch_tracks("x", search_type="ytsearch")
        assert info.value.status == 503
    assert await node.fetch_tracks("x", search_type="ytsearch") == []
    statuses = [r.status for r in fake.requests if r.path == "/v4/loadtracks"]
    assert statuses == [503, 503, 200]


async def test_slow_responses_delay_replies(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    fake.slow_responses(0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, _ = await raw.rest("GET", "/v4/stats")
    assert status == 200 and loop.time() - started >= 0.2
    fake.slow_responses(0)


async def test_waiters_time_out_with_assertion(fake: FakeLavalink) -> None:
    with pytest.raises(AssertionError, match="timed out"):
        await fake.wait_for_event("TrackStartEvent", timeout=0.05)
    with pytest.raises(AssertionError, match="timed out"):
        await fake.wait_for_request("GET", "/never", timeout=0.05)


async def test_close_leaves_no_tasks_behind(raw: RawLavalinkClient) -> None:
    fake = FakeLavalink(player_update_interval=0.01, stats_interval=0.01)
    await fake.start()
    raw.url = fake.url
    fake.add_track(title="T")
    await raw.connect()
    await raw.connect_voice(1)
    await fake.wait_for_event("playerUpdate", count=2)
    await raw.close()
    await fake.close()
    leftovers = [t for t in asyncio.all_tasks() if t.get_name().startswith("fake-lavalink")]
    assert leftovers == []


async def test_standalone_server_prints_bot_settings() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.lavalink", "--port", "0", "--password", "pw",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip()
        assert line.startswith("BOT_LAVALINK__NODES='")
        nodes = json.loads(line.split("=", 1)[1].strip("'"))
        assert nodes[0]["password"] == "pw" and nodes[0]["secure"] is False
        url = f"http://{nodes[0]['host']}:{nodes[0]['port']}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/version", headers={"Authorization": "pw"}) as r:
                assert await r.text() == "4.1.1"
            params = {"identifier": "ytsearch:never gonna"}
            async with http.get(
                f"{url}/v4/loadtracks", params=params, headers={"Authorization": "pw"}
            ) as r:
                assert (await r.json())["loadType"] == "search"
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0
