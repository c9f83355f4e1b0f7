"""The fake's SponsorBlock and LavaLyrics plugins, checked against the plugins' READMEs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakes.lavalink import FakeLavalink
from tests.fakes.lavalink_testkit import RawLavalinkClient

ERROR_KEYS = {"timestamp", "status", "error", "message", "path"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeLavalink]:
    async with FakeLavalink(player_update_interval=60) as server:
        yield server


@pytest.fixture
async def raw(fake: FakeLavalink) -> AsyncIterator[RawLavalinkClient]:
    async with aiohttp.ClientSession() as http:
        client = RawLavalinkClient(http, fake.url, fake.password)
        await client.connect()
        yield client
        await client.close()


def categories_path(raw: RawLavalinkClient, guild_id: int = 1) -> str:
    return f"/v4/sessions/{raw.session_id}/players/{guild_id}/sponsorblock/categories"


async def next_event(raw: RawLavalinkClient, kind: str) -> dict[str, Any]:
    """Skip other ops until an event of `kind`."""
    while True:
        op = await raw.recv()
        if op.get("op") == "event" and op["type"] == kind:
            return op


async def test_plugin_routes_are_404_without_the_plugins(raw: RawLavalinkClient) -> None:
    """A Lavalink without the plugins has none of their routes."""
    for method, path in (
        ("PUT", categories_path(raw)),
        ("GET", f"/v4/sessions/{raw.session_id}/players/1/track/lyrics"),
        ("GET", "/v4/lyrics?track=x"),
    ):
        status, body = await raw.rest(method, path, ["sponsor"] if method == "PUT" else None)
        assert status == 404 and set(body) == ERROR_KEYS


async def test_sponsorblock_categories_put_get_delete(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    """PUT and DELETE answer 204; GET lists them, 404 once deleted; unknown session 404."""
    fake.add_plugin("sponsorblock-plugin")
    path = categories_path(raw)
    assert await raw.rest("PUT", path, ["sponsor", "intro"]) == (204, None)
    assert await raw.rest("GET", path) == (200, ["sponsor", "intro"])
    assert fake.sponsorblock_categories(1) == ["sponsor", "intro"]
    assert await raw.rest("DELETE", path) == (204, None)
    status, body = await raw.rest("GET", path)
    assert status == 404 and body["message"] == "Guild not found"
    status, body = await raw.rest("PUT", "/v4/sessions/nope/players/1/sponsorblock/categories", [])
    assert status == 404 and body["message"] == "Session not found"
    status, _ = await raw.rest("PUT", path, {"sponsor": True})
    assert status == 400


async def test_destroying_the_player_forgets_the_categories(
    fake: FakeLavalink, raw: RawLavalinkClient
) -> None:
    """The plugin drops a guild's categories when its player is destroyed."""
    fake.add_plugin("sponsorblock-plugin")
    await raw.patch_player(1, {"volume": 100})
    await raw.rest("PUT", categories_path(raw), ["sponsor"])
    await raw.rest("DELETE", f"/v4/sessions/{raw.session_id}/players/1")
    assert fake.sponsorblock_categories(1) is None


async def test_segments_are_loaded_and_skipped(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    """A YouTube track with a sponsor segment: SegmentsLoaded, then SegmentSkipped and a jump."""
    fake.add_plugin("sponsorblock-plugin")
    track = fake.add_track(title="Video", identifier="vid", length=180_000)
    fake.add_segments("vid", ("sponsor", 10_000, 40_000), ("intro", 0, 5_000))
    fake.clock_speed = 100  # 10 s of track per 0.1 s
    await raw.connect_voice(1)
    await raw.rest("PUT", categories_path(raw), ["sponsor"])
    await raw.patch_player(1, {"encodedTrack": track["encoded"]})
    loaded = await next_event(raw, "SegmentsLoaded")
    assert loaded["guildId"] == "1"
    assert loaded["segments"] == [{"category": "sponsor", "start": 10_000, "end": 40_000}]
    skipped = await next_event(raw, "SegmentSkipped")
    assert skipped["segment"] == {"category": "sponsor", "start": 10_000, "end": 40_000}
    player = fake.player(1)
    assert player is not None and player["state"]["position"] >= 40_000


async def test_no_segments_without_categories(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    """Without categories for the guild the plugin stays quiet."""
    fake.add_plugin("sponsorblock-plugin")
    track = fake.add_track(title="Video", identifier="vid", length=180_000)
    fake.add_segments("vid", ("sponsor", 0, 40_000))
    await raw.connect_voice(1)
    since = len(fake.sent_events)
    await raw.patch_player(1, {"encodedTrack": track["encoded"]})
    await fake.wait_for_event("TrackStartEvent", 1)
    assert not [e for e in fake.sent_events[since:] if e.kind.startswith("Segment")]


async def test_lyrics_of_the_current_track(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    """200 with a Lyrics object; 204 without lyrics; 404 without a track."""
    fake.add_plugin("lavalyrics-plugin")
    song = fake.add_track(title="Song", identifier="song")
    other = fake.add_track(title="Other", identifier="other")
    fake.add_lyrics("song", ["First line", "Second line"], provider="MusixMatch")
    path = f"/v4/sessions/{raw.session_id}/players/1/track/lyrics"
    status, body = await raw.rest("GET", path)
    assert status == 404 and body["message"] == "Player not found"
    await raw.patch_player(1, {"volume": 100})
    status, body = await raw.rest("GET", path)
    assert status == 404 and body["message"] == "No track playing"
    await raw.patch_player(1, {"encodedTrack": song["encoded"]})
    status, lyrics = await raw.rest("GET", path)
    assert status == 200
    assert set(lyrics) == {"sourceName", "provider", "text", "lines", "plugin"}
    assert [line["line"] for line in lyrics["lines"]] == ["First line", "Second line"]
    assert set(lyrics["lines"][0]) == {"timestamp", "duration", "line", "plugin"}
    await raw.patch_player(1, {"encodedTrack": other["encoded"]})
    assert await raw.rest("GET", path) == (204, None)


async def test_lyrics_of_an_encoded_track(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    """`GET /v4/lyrics?track=` (README) and `encodedTrack=` (the handler) both work."""
    fake.add_plugin("lavalyrics-plugin")
    song = fake.add_track(title="Song", identifier="song")
    fake.add_lyrics("song", text="Plain\ntext")
    for name in ("track", "encodedTrack"):
        status, lyrics = await raw.rest("GET", "/v4/lyrics", params={name: song["encoded"]})
        assert status == 200 and lyrics["text"] == "Plain\ntext" and lyrics["lines"] == []
    status, _ = await raw.rest("GET", "/v4/lyrics", params={"track": "QUJDRA=="})
    assert status == 400


async def test_disabled_filters_are_refused(fake: FakeLavalink, raw: RawLavalinkClient) -> None:
    """Lavalink answers 400 for a filter its config turned off (it is missing from /v4/info)."""
    fake.filters.remove("rotation")
    status, body = await raw.patch_player(1, {"filters": {"rotation": {"rotationHz": 0.2}}})
    assert status == 400
    assert body["message"] == "Following filters are disabled in the config: rotation"
    status, player = await raw.patch_player(1, {"filters": {"timescale": {"speed": 1.3}}})
    assert status == 200 and player["filters"] == {"timescale": {"speed": 1.3}}
