"""`node_request`: the node's own session and password, mafic's errors, empty answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import mafic
import pytest
from aiohttp import web

from bot.lavalink_rest import node_request
from tests.fakes.lavalink_testkit import StubDiscordClient

SEEN: list[str] = []
"""The Authorization headers the tiny server received."""


@pytest.fixture
async def node() -> AsyncIterator[mafic.Node[Any]]:
    """A mafic node pointed at a tiny server with a Spring-like `void` route and a 404."""
    seen = SEEN
    seen.clear()

    async def void(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.Response(status=200)  # Spring's void handler: no body, no content type

    async def missing(_request: web.Request) -> web.Response:
        return web.json_response({"status": 404, "message": "Not Found"}, status=404)

    app = web.Application()
    app.router.add_put("/void", void)
    app.router.add_get("/missing", missing)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    n: mafic.Node[Any] = mafic.Node(
        host="127.0.0.1", port=port, label="tiny", password="pw", client=StubDiscordClient()
    )
    yield n
    await n.close()
    await runner.cleanup()


async def test_empty_200_is_an_empty_answer(node: mafic.Node[Any]) -> None:
    """A 200 without a body counts as no content, like a 204; the password is sent."""
    assert await node_request(node, "PUT", "void", json=["sponsor"]) is None
    assert SEEN == ["pw"]


async def test_http_errors_keep_mafic_types(node: mafic.Node[Any]) -> None:
    """A 404 is mafic's HTTPNotFound, so callers catch types, not message text."""
    with pytest.raises(mafic.HTTPNotFound):
        await node_request(node, "GET", "missing")
