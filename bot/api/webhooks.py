"""Webhooks: signed JSON events (track start and end, queue end, node lost) to configured URLs.

Each target has its own bounded queue and worker, so a slow or dead receiver
delays only itself, and `emit` never waits: when a queue is full the event is
dropped and counted. A delivery is retried with exponential backoff on network
errors, timeouts, 429 and 5xx; any other answer is final.

Signature: `X-Webhook-Signature: sha256=<hex>`, the HMAC-SHA256 of
`"<X-Webhook-Timestamp>.<body>"` with the target's secret. A receiver checks it
in constant time and refuses old timestamps to stop replays. `X-Webhook-Id` is
the same on every retry of one event.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from loguru import logger
from prometheus_client import Counter

from bot.settings import ApiSettings, WebhookTarget

WEBHOOK_DELIVERIES = Counter(
    "webhook_deliveries_total",
    "Webhook events by outcome (ok, retried, failed, dropped).",
    ["event", "status"],
)
RETRY_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class WebhookEvent:
    """One event: its type, its JSON body and the id that stays the same across retries."""

    type: str
    data: dict[str, Any]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def body(self, timestamp: int) -> bytes:
        """The JSON the receiver gets."""
        payload = {"id": self.id, "type": self.type, "timestamp": timestamp, "data": self.data}
        return json.dumps(payload, separators=(",", ":")).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>")."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


class _Target:
    """One receiver: its queue and the worker that delivers to it."""

    def __init__(self, config: WebhookTarget, settings: ApiSettings) -> None:
        self.config = config
        self.settings = settings
        self.queue: asyncio.Queue[WebhookEvent] = asyncio.Queue(settings.webhook_queue_size)
        self.task: asyncio.Task[None] | None = None

    def wants(self, event: WebhookEvent) -> bool:
        return event.type in self.config.events

    async def run(self, session: aiohttp.ClientSession) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self.deliver(session, event)
            except Exception:  # a bug here must not stop later deliveries
                logger.exception("webhook to {} failed unexpectedly", self.config.url)
            finally:
                self.queue.task_done()

    async def deliver(self, session: aiohttp.ClientSession, event: WebhookEvent) -> bool:
        secret = self.config.secret.get_secret_value()
        attempts = self.settings.webhook_retries + 1
        for attempt in range(attempts):
            timestamp = int(time.time())
            body = event.body(timestamp)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "discord-music-bot-webhooks",
                "X-Webhook-Event": event.type,
                "X-Webhook-Id": event.id,
                "X-Webhook-Timestamp": str(timestamp),
                "X-Webhook-Signature": sign(secret, timestamp, body),
            }
            try:
                async with session.post(self.config.url, data=body, headers=headers) as response:
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, problem = 0, type(exc).__name__
            else:
                problem = f"HTTP {status}"
                if 200 <= status < 300:
                    WEBHOOK_DELIVERIES.labels(event.type, "ok").inc()
                    return True
            retryable = status == 0 or status >= 500 or status in RETRY_STATUSES
            if not retryable or attempt == attempts - 1:
                WEBHOOK_DELIVERIES.labels(event.type, "failed").inc()
                logger.warning(
                    "webhook {} to {} failed after {} attempt(s): {}",
                    event.type, self.config.url, attempt + 1, problem,
                )  # fmt: skip
                return False
            WEBHOOK_DELIVERIES.labels(event.type, "retried").inc()
            await asyncio.sleep(self.settings.webhook_backoff_s * 2**attempt)
        return False


class WebhookSender:
    """Delivers events to every target that wants them, in the background."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self._targets = [_Target(config, settings) for config in settings.webhooks]
        self._session: aiohttp.ClientSession | None = None

    @property
    def enabled(self) -> bool:
        """Whether any webhook is configured."""
        return bool(self._targets)

    def start(self) -> None:
        """Open the HTTP session and start one worker per target."""
        if not self._targets:
            return
        timeout = aiohttp.ClientTimeout(total=self.settings.webhook_timeout)
        self._session = aiohttp.ClientSession(timeout=timeout)
        for target in self._targets:
            target.task = asyncio.create_task(
                target.run(self._session), name=f"webhook:{target.config.url}"
            )

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        """Queue an event for each target that wants it; never waits (drops when full)."""
        event = WebhookEvent(event_type, data)
        for target in self._targets:
            if not target.wants(event):
                continue
            try:
                target.queue.put_nowait(event)
            except asyncio.QueueFull:
                WEBHOOK_DELIVERIES.labels(event_type, "dropped").inc()
                logger.warning("webhook queue for {} is full; dropped {}", target.config.url,
                               event_type)  # fmt: skip

    async def drain(self) -> None:
        """Wait until every queued event was delivered or given up (tests, shutdown)."""
        for target in self._targets:
            await target.queue.join()

    async def close(self, grace: float = 1.0) -> None:
        """Give queued events up to `grace` seconds, then stop the workers."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain(), grace)
        for target in self._targets:
            if target.task is not None:
                target.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await target.task
        if self._session is not None:
            await self._session.close()
            self._session = None


def track_data(guild_id: int, title: str, author: str, uri: str | None, length_ms: int,
               identifier: str) -> dict[str, Any]:  # fmt: skip
    """The `data` of a track event."""
    return {
        "guild_id": str(guild_id),
        "track": {
            "title": title,
            "author": author,
            "uri": uri,
            "length_ms": length_ms,
            "identifier": identifier,
        },
    }
