"""The status page's data and event stream over HTTP (the browser test is beside it)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from tests.api.conftest import Api, serving


async def sse(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[str, Any]]:
    """Parse server-sent events: yields (event name, decoded data)."""
    name, data = "message", ""
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif not line and data:
            yield name, json.loads(data)
            name, data = "message", ""


async def next_event(events: AsyncIterator[tuple[str, Any]], wanted: str) -> Any:
    """The data of the next event called `wanted` (others are skipped), within 5 s."""
    async with asyncio.timeout(5):
        async for name, data in events:
            if name == wanted:
                return data
    raise AssertionError(f"the stream ended before a {wanted!r} event")


async def test_page_is_html_with_a_strict_csp(api: Api) -> None:
    """/ serves the page; its CSP allows no inline script and no other origin."""
    status, text, response = await api.call("GET", "/")
    assert status == 200 and response.content_type == "text/html"
    assert '<script src="static/status.js"' in text
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    status, script, response = await api.call("GET", "/static/status.js")
    assert status == 200 and "textContent" in script and "innerHTML" not in script


async def test_status_json_shows_playing_guilds_without_names_by_default(api: Api) -> None:
    """A playing guild appears with its track and queue; no name and no id (privacy)."""
    await api.start_playing(2)
    status, body, _ = await api.call("GET", "/status.json")
    assert status == 200
    (guild,) = body["guilds"]
    assert guild["track"]["title"] == "Track T1" and guild["queue_length"] == 1
    assert guild["name"] is None
    text = json.dumps(body)
    assert "Guild A" not in text and str(api.guild_id) not in text
    assert body["nodes"][0]["available"] is True


async def test_guild_names_are_shown_when_the_setting_allows(tmp_path: Path) -> None:
    """api.show_guild_names = true puts the name on the page."""
    async with serving(tmp_path, show_guild_names=True) as api:
        await api.start_playing(1)
        _, body, _ = await api.call("GET", "/status.json")
        assert [g["name"] for g in body["guilds"]] == ["Guild A"]


async def test_event_stream_sends_snapshot_then_changes(api: Api) -> None:
    """The stream starts with a snapshot, then a guild event per change, gone on leave."""
    await api.start_playing(2)
    async with api.http.get(api.base + "/events") as response:
        assert response.content_type == "text/event-stream"
        events = sse(response)
        first = await next_event(events, "snapshot")
        assert [g["track"]["title"] for g in first["guilds"]] == ["Track T1"]
        await api.h.reply("skip")
        while (update := await next_event(events, "guild"))["track"]["title"] != "Track T2":
            pass
        assert update["key"] == first["guilds"][0]["key"]
        await api.h.reply("leave")
        assert await next_event(events, "gone") == {"key": update["key"]}


async def test_event_stream_refreshes_nodes_when_idle(tmp_path: Path) -> None:
    """With nothing happening, a nodes event arrives every api.status_refresh_s."""
    async with (
        serving(tmp_path, status_refresh_s=0.05) as api,
        api.http.get(api.base + "/events") as response,
    ):
        events = sse(response)
        await next_event(events, "snapshot")
        nodes = await next_event(events, "nodes")
        assert nodes[0]["label"] == api.h.lavalink.label


async def test_too_many_open_pages_get_503(tmp_path: Path) -> None:
    """Past api.max_event_streams, a new stream is refused; a closed one frees its slot."""
    async with serving(tmp_path, max_event_streams=1) as api:
        async with api.http.get(api.base + "/events") as first:
            await next_event(sse(first), "snapshot")
            status, body, _ = await api.call("GET", "/events")
            assert status == 503 and body["error"]["code"] == "unavailable"
        board = api.h.bot.get_cog("api").board  # type: ignore[union-attr]
        async with asyncio.timeout(5):
            # The hang-up cancels the stream's handler in the server's own task.
            while board.listeners:  # noqa: ASYNC110 (no event to wait on: it is a count)
                await asyncio.sleep(0.01)
        async with api.http.get(api.base + "/events") as again:
            await next_event(sse(again), "snapshot")


async def test_page_can_be_turned_off(tmp_path: Path) -> None:
    """api.status_page = false: no page, no data, no stream."""
    async with serving(tmp_path, status_page=False) as api:
        for path in ("/", "/status.json", "/events"):
            assert (await api.call("GET", path))[0] == 404
