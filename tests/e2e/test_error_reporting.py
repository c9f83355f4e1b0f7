"""Error reports: an unexpected failure of a command reaches a Sentry DSN, without secrets."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.error_reporting import scrubbed
from bot.log import Redactor, setup_logging
from bot.settings import LoggingSettings, Settings
from tests.e2e.harness import harness

REDIS_PASSWORD = "hunter2-redis-password"
API_KEY = "mbk_0123abcd_" + "S" * 43
DB_PASSWORD = "db-pass-0123456789"


class Collector:
    """A local server standing in for Sentry: keeps every envelope it is sent."""

    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        self.arrived = asyncio.Event()

    async def envelope(self, request: web.Request) -> web.Response:
        self.envelopes.append(await request.read())  # aiohttp undoes Content-Encoding
        self.arrived.set()
        return web.json_response({})

    def events(self) -> list[dict[str, Any]]:
        """The error events in the envelopes (each is header, item header, item lines)."""
        found = []
        for raw in self.envelopes:
            lines = raw.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


@pytest.fixture
async def sentry() -> AsyncIterator[tuple[Collector, str]]:
    """The collector and its DSN."""
    collector = Collector()
    app = web.Application()
    app.router.add_post("/api/1/envelope/", collector.envelope)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield collector, f"http://public@127.0.0.1:{server.port}/1"
    finally:
        await server.close()


async def test_unexpected_command_error_is_reported_without_secrets(
    tmp_path: Path, sentry: tuple[Collector, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """/play fails on a bug whose message holds the bot token, the Redis password and an API
    key: the user gets the apology, Sentry gets the error tagged with its id, scrubbed."""
    collector, dsn = sentry
    setup_logging(LoggingSettings(), stream=io.StringIO())  # as `python -m bot run` does
    async with harness(tmp_path, start=False) as h:
        await h.start(
            observability={"sentry_dsn": SecretStr(dsn), "sentry_environment": "test"},
            bus={"redis_url": SecretStr(f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0")},
        )
        token = h.discord.token
        audio: Any = h.bot.get_cog("audio")

        async def broken(command: Any) -> Any:
            raise RuntimeError(f"bug with {token}, {REDIS_PASSWORD} and {API_KEY}")

        monkeypatch.setattr(audio.service, "handle", broken)
        await h.join()
        apology = await h.reply("play", query="anything")
        cid = re.search(r"`([0-9a-f]{16,32})`", apology["content"])
        assert cid is not None, apology
        await asyncio.wait_for(collector.arrived.wait(), 10)
    raw = b"".join(collector.envelopes).decode()
    for secret in (token, REDIS_PASSWORD, API_KEY, dsn):
        assert secret not in raw
    (event,) = collector.events()
    assert event["environment"] == "test"
    assert event["tags"]["correlation_id"] == cid.group(1)
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "bug with ***, *** and ***"


def test_scrubbing_reaches_every_string_of_an_event() -> None:
    """Nested values, breadcrumbs and frames: the database password and token shapes go."""
    settings = Settings(database={"url": f"postgresql+asyncpg://bot:{DB_PASSWORD}@db/music"})
    redact = Redactor()
    redact.set_secrets(settings.secrets())
    event = {
        "breadcrumbs": {"values": [{"message": f"connect {DB_PASSWORD}"}]},
        "exception": {"values": [{"value": f"key {API_KEY}", "stacktrace": {"frames": []}}]},
        "extra": {"log_message": ("tuple", DB_PASSWORD)},
    }
    text = json.dumps(scrubbed(event, redact))
    assert DB_PASSWORD not in text and API_KEY not in text
