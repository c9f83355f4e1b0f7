"""Webhooks from the running bot to a local receiver: signed events, retries, never blocking."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.api.webhooks import WEBHOOK_DELIVERIES, WEBHOOK_JOB
from bot.db.durable_jobs import DurableJobStore, JobStatus, StoredJob
from bot.settings import WebhookTarget
from tests.api.conftest import API_ON, Api, serving

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


@contextlib.asynccontextmanager
async def offline_receiver() -> AsyncIterator[tuple[Receiver, str, Callable[[], Awaitable[None]]]]:
    """A receiver whose port refuses connections until `come_up()` starts it."""
    got = Receiver()
    app = web.Application()
    app.router.add_post("/hook", got.handle)
    with socket.socket() as probe:  # a port nothing listens on, for now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = TestServer(app, host="127.0.0.1", port=port)

    async def come_up() -> None:
        await server.start_server()

    try:
        yield got, f"http://127.0.0.1:{port}/hook", come_up
    finally:
        await server.close()


def jobs(api: Api) -> DurableJobStore:
    """The bot's durable job table."""
    assert api.h.bot.durable is not None
    return api.h.bot.durable.store


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Until `check()` is true: state in the database has no event to wait on."""
    async with asyncio.timeout(timeout):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


async def any_job(api: Api, check: Callable[[StoredJob], bool]) -> bool:
    """Whether a webhook job in the table passes `check`."""
    return any(check(job) for job in await jobs(api).jobs() if job.kind == WEBHOOK_JOB)


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
        assert got.deliveries == []
        # Waiting in the job table, not in the way: delivered once the receiver answers.
        await api.h.bot.bus.drain()  # the webhook subscriber has seen every event ...
        await api.h.bot.get_cog("api").webhooks.drain()  # type: ignore[union-attr]  # ... and written it
        waiting = await jobs(api).jobs(status=JobStatus.QUEUED)
        waiting += await jobs(api).jobs(status=JobStatus.RUNNING)
        assert {job.kind for job in waiting} == {WEBHOOK_JOB}


def test_webhook_secrets_are_redacted_from_logs() -> None:
    """A webhook secret is one of the values every log line is scrubbed of."""
    from bot.settings import Settings

    settings = Settings(api={"webhooks": [{"url": "https://example.com/h", "secret": SECRET}]})
    assert SECRET in settings.secrets()


async def test_delivery_is_retried_until_the_receiver_comes_up(tmp_path: Path) -> None:
    """Connection refused at first: the event is retried and arrives once the receiver runs."""
    async with (
        offline_receiver() as (got, url, come_up),
        serving(tmp_path, webhooks=[target(url, events=["track_start"])],
                webhook_backoff_s=0.05, webhook_retries=10) as api,
    ):  # fmt: skip
        await api.start_playing(1)
        await eventually(lambda: any_job(api, lambda job: job.attempts >= 2))
        await come_up()
        event = await got.wait_for(lambda e: e["type"] == "track_start")
        assert event["data"]["track"]["title"] == "Track T1"
        assert signature_ok(*got.deliveries[0])


async def test_delivery_queued_before_a_restart_is_made_by_the_next_process(
    tmp_path: Path,
) -> None:
    """The receiver is down while the first bot runs; the restarted bot delivers the event."""
    async with offline_receiver() as (got, url, come_up):
        hooks = {"webhooks": [target(url, events=["track_start"])], "webhook_backoff_s": 0.05}
        async with serving(tmp_path, **hooks, webhook_retries=10) as api:
            await api.start_playing(1)
            await eventually(lambda: any_job(api, lambda job: job.attempts >= 1))
            (before,) = await jobs(api).jobs()
            assert api.h.running is not None
            await api.h.running.stop()
            await come_up()
            await api.h.start(api={**API_ON, **hooks, "webhook_retries": 10})
            event = await got.wait_for(lambda e: e["type"] == "track_start")
            assert event["id"] == before.payload["id"]
            await eventually(lambda: any_job(api, lambda job: job.status is JobStatus.DONE))


async def test_delivery_goes_to_the_dead_letter_after_its_last_attempt(tmp_path: Path) -> None:
    """Always 503: 1 + webhook_retries attempts, then the job is dead and counted failed."""
    failed = WEBHOOK_DELIVERIES.labels("track_start", "failed")
    before = failed._value.get()
    async with (
        receiver(failures=1_000) as (got, url),
        serving(tmp_path, webhooks=[target(url, events=["track_start"])],
                webhook_backoff_s=0.01, webhook_retries=2) as api,
    ):  # fmt: skip
        await api.start_playing(1)
        await eventually(lambda: any_job(api, lambda job: job.status is JobStatus.DEAD))
        (dead,) = await jobs(api).jobs(status=JobStatus.DEAD)
        assert dead.attempts == 3 and got.attempts == 3 and got.deliveries == []
        assert dead.last_error == "JobError: HTTP 503"
        assert "secret" not in json.dumps(dead.payload) and SECRET not in json.dumps(dead.payload)
    assert failed._value.get() == before + 1


async def test_no_webhooks_configured_means_no_sender_work(api: Api) -> None:
    """Without targets nothing is started or queued."""
    cog = api.h.bot.get_cog("api")
    assert cog is not None and not cog.webhooks.enabled  # type: ignore[attr-defined]
