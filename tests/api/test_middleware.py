"""The middlewares on a bare app with a stub port: deadline, unexpected errors, error mapping."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.api.board import NowPlayingBoard
from bot.api.errors import from_exception
from bot.api.middleware import PORT, deadline, json_errors, observe
from bot.bus import BusTimeout, NoHandler
from bot.errors import NothingPlaying, RateLimited, ServiceUnavailable, UserError
from bot.log import setup_logging
from bot.music.queue import BadPosition
from bot.settings import ApiSettings, LoggingSettings


class StubPort:
    """Just enough of a BotPort for the middlewares."""

    settings = ApiSettings(request_timeout=0.05)
    board = NowPlayingBoard()
    tracer = None


@pytest.fixture
async def client() -> AsyncIterator[TestClient[Any, Any]]:
    """An app whose handlers are slow, crash, or raise the bot's own errors."""
    app = web.Application(middlewares=[observe, json_errors, deadline])
    app[PORT] = StubPort()  # type: ignore[assignment]

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({})

    async def crash(_request: web.Request) -> web.Response:
        raise RuntimeError("secret internals")

    async def timeout(_request: web.Request) -> web.Response:
        raise BusTimeout("no answer")

    app.router.add_get("/slow", slow)
    app.router.add_get("/crash", crash)
    app.router.add_get("/timeout", timeout)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_a_slow_request_gets_504(client: TestClient[Any, Any]) -> None:
    """A handler past api.request_timeout is cut off with a JSON 504."""
    response = await client.get("/slow")
    assert response.status == 504
    assert (await response.json())["error"]["code"] == "timeout"


async def test_an_unexpected_error_is_a_500_quoting_the_correlation_id(
    client: TestClient[Any, Any],
) -> None:
    """The client gets the id to quote, never the exception text; the log has the traceback."""
    stream = io.StringIO()
    setup_logging(LoggingSettings(level="INFO"), stream=stream)
    response = await client.get("/crash")
    body = await response.json()
    cid = response.headers["X-Correlation-ID"]
    assert response.status == 500 and body["error"]["code"] == "internal"
    assert cid in body["error"]["message"] and "secret internals" not in str(body)
    log = stream.getvalue()
    assert "RuntimeError: secret internals" in log and f"| {cid} |" in log


async def test_bus_timeout_is_a_504(client: TestClient[Any, Any]) -> None:
    """The audio side not answering in time is a gateway timeout."""
    response = await client.get("/timeout")
    assert response.status == 504


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (NothingPlaying(), 409, "nothing_playing"),
        (UserError("There is nothing to shuffle."), 409, "conflict"),
        (BadPosition(9, 3), 422, "invalid_argument"),
        (ServiceUnavailable("starting"), 503, "unavailable"),
        (RateLimited(3.2), 429, "rate_limited"),
        (NoHandler("nobody"), 503, "unavailable"),
        (BusTimeout("slow"), 504, "timeout"),
    ],
)
def test_the_bots_errors_map_to_statuses(error: Exception, status: int, code: str) -> None:
    """Each of the bot's error types has one status and code; the user's message is kept."""
    mapped = from_exception(error)
    assert mapped is not None and (mapped.status, mapped.code) == (status, code)
    if isinstance(error, UserError):
        assert mapped.message == error.message


def test_unexpected_errors_are_not_mapped() -> None:
    """Anything else is left for the 500 path."""
    assert from_exception(KeyError("x")) is None
