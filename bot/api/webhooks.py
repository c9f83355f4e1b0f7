"""Webhooks: signed JSON events (track start and end, queue end, node lost) to configured URLs.

Deliveries are durable jobs (kind `webhook`, one per event and target): they
survive a restart, are retried with exponential backoff (`webhook_backoff_s`,
doubling, jittered) on network errors, timeouts, 408/425/429 and 5xx, and
after `webhook_retries` retries stay in the job table as dead for an operator;
any other answer (a 4xx) is final at once. `emit` never waits: an event goes
to a bounded buffer (`webhook_queue_size`; full: dropped and counted) that one
task writes to the table, and the durable runner delivers in the background,
so a slow or dead receiver never holds up playback. The job holds the URL and
the event, never the secret: it is looked up at delivery, so a target removed
from the settings gets no more deliveries (dead at once).

Signature: `X-Webhook-Signature: sha256=<hex>`, the HMAC-SHA256 of
`"<X-Webhook-Timestamp>.<body>"` with the target's secret. A receiver checks it
in constant time and refuses old timestamps to stop replays. `X-Webhook-Id` is
the same on every retry of one event (and after a restart): use it to dedupe.

Metrics: `webhook_deliveries_total{event,status}` (ok, retried, failed,
dropped) and the durable queue's `durable_jobs_total{kind="webhook",...}`.
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

from bot.durable_queue import Backoff, ClaimedJob, DurableQueue, JobError, PermanentJobError
from bot.settings import ApiSettings, WebhookTarget

WEBHOOK_DELIVERIES = Counter(
    "webhook_deliveries_total",
    "Webhook events by outcome (ok, retried, failed, dropped).",
    ["event", "status"],
)
RETRY_STATUSES = frozenset({408, 425, 429})
WEBHOOK_JOB = "webhook"


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


def _retryable(status: int) -> bool:
    """0 stands for no answer at all (refused, reset, timed out)."""
    return status == 0 or status >= 500 or status in RETRY_STATUSES


class WebhookSender:
    """Turns events into durable delivery jobs and delivers them."""

    def __init__(self, settings: ApiSettings, jobs: DurableQueue | None) -> None:
        self.settings = settings
        self._targets = list(settings.webhooks)
        self._jobs = jobs
        self._buffer: asyncio.Queue[WebhookEvent] = asyncio.Queue(settings.webhook_queue_size)
        self._writer: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def enabled(self) -> bool:
        """Whether any webhook is configured (and there is a job table to deliver through)."""
        return bool(self._targets) and self._jobs is not None

    def start(self) -> None:
        """Open the HTTP session, deliver the `webhook` jobs, start writing events to the table."""
        if not self.enabled or self._jobs is None:
            return
        timeout = aiohttp.ClientTimeout(total=self.settings.webhook_timeout)
        self._session = aiohttp.ClientSession(timeout=timeout)
        self._jobs.register(
            WEBHOOK_JOB, self.deliver, backoff=Backoff(base_s=self.settings.webhook_backoff_s)
        )
        self._writer = asyncio.create_task(self._write(self._jobs), name="webhooks:enqueue")

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        """Queue an event for the targets that want it; never waits (drops when full)."""
        if not any(event_type in target.events for target in self._targets):
            return
        try:
            self._buffer.put_nowait(WebhookEvent(event_type, data))
        except asyncio.QueueFull:
            WEBHOOK_DELIVERIES.labels(event_type, "dropped").inc()
            logger.warning("webhook buffer is full; dropped {}", event_type)

    async def _write(self, jobs: DurableQueue) -> None:
        while True:
            event = await self._buffer.get()
            try:
                for target in self._targets:
                    if event.type in target.events:
                        await self._enqueue(jobs, target, event)
            finally:
                self._buffer.task_done()

    async def _enqueue(
        self, jobs: DurableQueue, target: WebhookTarget, event: WebhookEvent
    ) -> None:
        payload = {"url": target.url, "id": event.id, "type": event.type, "data": event.data}
        try:
            await jobs.enqueue(
                WEBHOOK_JOB,
                payload,
                dedupe_key=f"webhook:{event.id}:{_digest(target.url)}",
                max_attempts=self.settings.webhook_retries + 1,
            )
        except Exception as exc:  # the database is down: this event is lost, the next may not be
            WEBHOOK_DELIVERIES.labels(event.type, "dropped").inc()
            logger.warning("webhook {} to {} not queued ({})", event.type, target.url,
                           type(exc).__name__)  # fmt: skip

    async def deliver(self, job: ClaimedJob) -> None:
        """One attempt at one delivery; raises to have the durable queue retry or bury it."""
        payload = job.payload
        event = WebhookEvent(str(payload["type"]), dict(payload["data"]), str(payload["id"]))
        target = next((t for t in self._targets if t.url == payload["url"]), None)
        if target is None:
            WEBHOOK_DELIVERIES.labels(event.type, "failed").inc()
            raise PermanentJobError("no webhook target with this URL any more")
        if self._session is None:  # closing: the next start delivers it
            raise JobError("webhook sender closed")
        status, problem = await self._post(self._session, target, event)
        if 200 <= status < 300:
            WEBHOOK_DELIVERIES.labels(event.type, "ok").inc()
            return
        last = job.attempt >= job.max_attempts or not _retryable(status)
        WEBHOOK_DELIVERIES.labels(event.type, "failed" if last else "retried").inc()
        if last:
            logger.warning(
                "webhook {} to {} failed after {} attempt(s): {}",
                event.type, target.url, job.attempt, problem,
            )  # fmt: skip
        if not _retryable(status):
            raise PermanentJobError(problem)
        raise JobError(problem)

    async def _post(
        self, session: aiohttp.ClientSession, target: WebhookTarget, event: WebhookEvent
    ) -> tuple[int, str]:
        """POST the signed event; the status (0: no answer) and what went wrong, if anything."""
        timestamp = int(time.time())
        body = event.body(timestamp)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "discord-music-bot-webhooks",
            "X-Webhook-Event": event.type,
            "X-Webhook-Id": event.id,
            "X-Webhook-Timestamp": str(timestamp),
            "X-Webhook-Signature": sign(target.secret.get_secret_value(), timestamp, body),
        }
        try:
            async with session.post(target.url, data=body, headers=headers) as response:
                return response.status, f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return 0, type(exc).__name__

    async def drain(self) -> None:
        """Wait until every emitted event is in the job table."""
        await self._buffer.join()

    async def close(self, grace: float = 1.0) -> None:
        """Write buffered events to the table (up to `grace` s); stop delivering; close HTTP.

        Deliveries still due stay in the table for the next start.
        """
        if self._writer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.drain(), grace)
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        if self._jobs is not None:
            self._jobs.unregister(WEBHOOK_JOB)
        if self._session is not None:
            await self._session.close()
            self._session = None


def _digest(url: str) -> str:
    """A short fixed-length stand-in for a URL (the dedupe key's column is 200 characters)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


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
