"""Webhooks from the running bot to a local receiver: signed events, retries, never blocking."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.settings import WebhookTarget
from tests.api.conftest import Api, serving

SECRET = "webhook-secret-0123456789"


@dataclass
class Receiver:
    """A local HTTP endpoint that records deliveries and can fail or hang on purpose."""

    failures: int = 0
    hang: bool = False
    deliveries: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    attempts: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.attempts += 1
        if self.hang:
            await asyncio.Event().wait()
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=503)
        async with self.arrived:
            self.deliveries.append((dict(request.headers), body))
            self.arrived.notify_all()
        return web.Response(status=204)

    def events(self) -> list[dict[str, Any]]:
        """The decoded bodies received, in order."""
        return [json.loads(body) for _, body in self.deliveries]

    async def wait_for(self, check: Any, timeout: float = 5.0) -> dict[str, Any]:
        """The first received event for which `check(event)` is true."""
        async with asyncio.timeout(timeout), self.arrived:
            while True:
                for event in self.events():
                    if check(event):
                        return event
                await self.arrived.wait()


@contextlib.asynccontextmanager
async def receiver(**options: Any) -> AsyncIterator[tuple[Receiver, str]]:
    """A started receiver and its URL."""
    got = Receiver(**options)
    app = web.Application()
    app.router.add_post("/hook", got.handle)
    server = TestServer(app)
    await server.start_server()
    try:
        yield got, str(server.make_url("/hook"))
    finally:
        await server.close()


def target(url: str, **extra: Any) -> WebhookTarget:
    """A webhook target with the test secret."""
    return WebhookTarget(url=url, secret=SecretStr(SECRET), **extra)


def signature_ok(headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does: recompute the HMAC and compare in constant time."""
    signed = f"{headers['X-Webhook-Timestamp']}.".encode() + body
    expected = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Webhook-Signature"])


async def test_track_events_and_queue_end_arrive_signed(tmp_path: Path) -> None:
    """Start, end (skip = replaced), queue end: each POSTed with a valid signature."""
    async with receiver() as (got, url), serving(tmp_path, webhooks=[target(url)]) as api:
        api.h.add_tracks(1)
        api.h.add_tracks(1, prefix="s", length=300)  # ends by itself a moment later
        await api.h.join()
        await api.h.reply("play", query="https://example.com/t1")
        await api.h.reply("play", query="https://example.com/s1")
        start = await got.wait_for(lambda e: e["type"] == "track_start")
        assert start["data"]["track"]["title"] == "Track T1"
        assert start["data"]["guild_id"] == str(api.guild_id)
        await api.h.reply("skip")
        end = await got.wait_for(lambda e: e["type"] == "track_end")
        assert end["data"]["reason"] == "replaced"
        await got.wait_for(lambda e: e["type"] == "queue_end")
        assert all(signature_ok(headers, body) for headers, body in got.deliveries)
        headers, _ = got.deliveries[0]
        assert headers["X-Webhook-Event"] == "track_start"


async def test_failed_delivery_is_retried_with_the_same_id(tmp_path: Path) -> None:
    """Two 503s, then success: the third attempt carries the first one's event id."""
    async with (
        receiver(failures=2) as (got, url),
        serving(tmp_path, webhooks=[target(url, events=["track_start"])],
                webhook_backoff_s=0.01) as api,
    ):  # fmt: skip
        await api.start_playing(1)
        event = await got.wait_for(lambda e: e["type"] == "track_start")
        assert got.attempts == 3 and len(got.deliveries) == 1
        assert got.deliveries[0][0]["X-Webhook-Id"] == event["id"]


async def test_a_hanging_receiver_never_blocks_playback(tmp_path: Path) -> None:
    """With the receiver never answering, commands still answer and tracks still change."""
    async with (
        receiver(hang=True) as (got, url),
        serving(tmp_path, webhooks=[target(url)], webhook_queue_size=1,
                webhook_timeout=30) as api,
    ):  # fmt: skip
        await api.start_playing(3)
        await api.h.reply("skip")
        await api.h.playing("t2")
        await api.h.reply("skip")
        await api.h.playing("t3")
        assert got.attempts == 1 and got.deliveries == []
        sender = api.h.bot.get_cog("api").webhooks  # type: ignore[union-attr]
        assert sender._targets[0].queue.qsize() == 1  # the rest were dropped, not waited for


def test_webhook_secrets_are_redacted_from_logs() -> None:
    """A webhook secret is one of the values every log line is scrubbed of."""
    from bot.settings import Settings

    settings = Settings(api={"webhooks": [{"url": "https://example.com/h", "secret": SECRET}]})
    assert SECRET in settings.secrets()


async def test_no_webhooks_configured_means_no_sender_work(api: Api) -> None:
    """Without targets nothing is started or queued."""
    cog = api.h.bot.get_cog("api")
    assert cog is not None and not cog.webhooks.enabled  # type: ignore[attr-defined]
