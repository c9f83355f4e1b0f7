"""Durable jobs: work that must survive a restart, run by kind with retries and a dead letter.

``DurableQueue.enqueue`` writes a job to the ``durable_jobs`` table; the runner
claims due jobs under a lease (see ``bot.db.durable_jobs``), calls the handler
registered for the job's kind, and then:

- success: the job is ``done``;
- an exception: the job is queued again after an exponential backoff with
  "equal jitter" (half the delay fixed, half random, so processes that failed
  together do not retry in step), until ``max_attempts`` runs have failed;
  then it is ``dead`` and stays in the table for an operator;
- ``PermanentJobError``: ``dead`` at once (retrying cannot help).

Guarantees: a job runs at least once, and never in two runners at once while
its lease lasts; the runner renews the lease while a handler works and
cancels the handler if it loses it. A runner that dies (or loses the database)
mid-job stops renewing, so after the lease another runner runs the job again:
handlers must be idempotent (``job.id`` is a stable idempotency key).

``last_error`` holds the exception's type name only, because messages can
carry URLs with tokens; a handler that wants a readable reason stored raises
``JobError`` (or ``PermanentJobError``) with text it knows is safe.

Metrics: ``durable_jobs_total{kind,status}`` (enqueued, done, retried, dead,
lost, interrupted) and ``durable_jobs_pending`` (queued or running, all kinds).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from loguru import logger
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge

from bot.correlation import correlation
from bot.db.database import Database
from bot.db.durable_jobs import ClaimedJob, DurableJobStore, JobStatus
from bot.db.errors import is_unreachable
from bot.db.timestamps import utcnow

__all__ = [
    "DURABLE_JOB_METRICS",
    "Backoff",
    "ClaimedJob",
    "DurableJobMetrics",
    "DurableQueue",
    "JobError",
    "JobHandler",
    "PermanentJobError",
]

JobHandler = Callable[[ClaimedJob], Coroutine[Any, Any, None]]
MAX_KIND_LENGTH = 64


class DurableJobMetrics:
    """The durable queue's counters and gauge."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        self.jobs = Counter(
            "durable_jobs_total",
            "Durable jobs by kind and outcome: enqueued, done, retried, dead, lost "
            "(lease taken over), interrupted (shutdown).",
            ["kind", "status"],
            registry=registry,
        )
        self.pending = Gauge(
            "durable_jobs_pending",
            "Durable jobs queued or running, all kinds and processes.",
            registry=registry,
        )


DURABLE_JOB_METRICS = DurableJobMetrics()


class JobError(Exception):
    """A handler's failure whose message is safe to store in ``last_error``; retried."""


class PermanentJobError(JobError):
    """A handler's failure that no retry can fix: the job goes to the dead letter at once."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff: ``base_s`` after the first failure, doubling, at most ``max_s``."""

    base_s: float = 5.0
    max_s: float = 3600.0

    def delay(self, failed_attempt: int, jitter: float) -> float:
        """Seconds to wait after attempt ``failed_attempt`` (1-based); ``jitter`` in [0, 1)."""
        full = min(self.max_s, self.base_s * 2 ** max(failed_attempt - 1, 0))
        return full / 2 + full / 2 * jitter


def default_worker_id() -> str:
    """``host:pid:random``, unique per process and readable in the table."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def describe(exc: BaseException) -> str:
    """What ``last_error`` keeps of an exception: its type, and its text only if safe."""
    if isinstance(exc, JobError) and str(exc):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__


class DurableQueue:
    """Enqueues durable jobs and runs the registered kinds in the background."""

    def __init__(
        self,
        database: Database,
        *,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        jitter: Callable[[], float] = random.random,
        backoff: Backoff | None = None,
        max_attempts: int = 5,
        lease_s: float = 60.0,
        poll_interval_s: float = 1.0,
        concurrency: int = 4,
        done_retention: timedelta = timedelta(days=7),
        dead_retention: timedelta = timedelta(days=30),
        housekeeping_interval_s: float = 15.0,
        metrics: DurableJobMetrics = DURABLE_JOB_METRICS,
    ) -> None:
        self.store = DurableJobStore(database)
        self.worker_id = (worker_id or default_worker_id())[:64]
        self._db = database
        self._clock = clock
        self._jitter = jitter
        self._backoff = backoff or Backoff()
        self._max_attempts = max_attempts
        self._lease = timedelta(seconds=lease_s)
        self._poll_interval = poll_interval_s
        self._concurrency = concurrency
        self._done_retention = done_retention
        self._dead_retention = dead_retention
        self._housekeeping_interval = housekeeping_interval_s
        self._metrics = metrics
        self._handlers: dict[str, JobHandler] = {}
        self._backoffs: dict[str, Backoff] = {}
        self._active: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._warned_unreachable = False

    def register(self, kind: str, handler: JobHandler, *, backoff: Backoff | None = None) -> None:
        """Run jobs of ``kind`` with ``handler`` (and its own ``backoff``); one handler per kind."""
        if not kind or len(kind) > MAX_KIND_LENGTH:
            raise ValueError(f"a job kind is 1 to {MAX_KIND_LENGTH} characters, got {kind!r}")
        if kind in self._handlers:
            raise ValueError(f"a handler for {kind!r} is already registered")
        self._handlers[kind] = handler
        if backoff is not None:
            self._backoffs[kind] = backoff
        self._wake.set()

    def unregister(self, kind: str) -> None:
        """Stop claiming jobs of ``kind`` (its owner is going away); running ones finish."""
        self._handlers.pop(kind, None)
        self._backoffs.pop(kind, None)

    async def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        dedupe_key: str | None = None,
        delay_s: float = 0.0,
        max_attempts: int | None = None,
    ) -> int:
        """Store a job and return its id; with a ``dedupe_key`` seen before, the earlier job's.

        The kind need not be registered here: another process may run it.
        """
        if not kind or len(kind) > MAX_KIND_LENGTH:
            raise ValueError(f"a job kind is 1 to {MAX_KIND_LENGTH} characters, got {kind!r}")
        now = self._clock()
        job_id, created = await self.store.enqueue(
            kind,
            payload,
            now=now,
            run_after=now + timedelta(seconds=delay_s),
            max_attempts=max_attempts or self._max_attempts,
            dedupe_key=dedupe_key,
        )
        if created:
            self._metrics.jobs.labels(kind, "enqueued").inc()
            self._wake.set()
        return job_id

    async def run_once(self) -> int:
        """Claim what is due (up to ``concurrency`` jobs), run it to the end; return how many."""
        jobs = await self._claim(self._concurrency)
        await asyncio.gather(*(self._run(job) for job in jobs))
        await self.refresh_pending()
        return len(jobs)

    async def refresh_pending(self) -> int:
        """Count queued and running jobs into ``durable_jobs_pending``; return the count."""
        counts = await self.store.count_by_status()
        pending = counts[JobStatus.QUEUED] + counts[JobStatus.RUNNING]
        self._metrics.pending.set(pending)
        return pending

    def start(self) -> None:
        """Run in the background until ``stop``."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="durable-jobs")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming, give running jobs ``grace`` seconds, then interrupt them.

        An interrupted job goes back to the queue at once (its attempt counts).
        """
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._active:
            _, late = await asyncio.wait(set(self._active), timeout=grace)
            for job_task in late:
                job_task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _loop(self) -> None:
        next_housekeeping = 0.0
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            free = self._concurrency - len(self._active)
            claimed = 0
            try:
                if loop.time() >= next_housekeeping:
                    next_housekeeping = loop.time() + self._housekeeping_interval
                    await self._housekeeping()
                if free > 0 and self._handlers:
                    jobs = await self._claim(free)
                    claimed = len(jobs)
                    for job in jobs:
                        job_task = asyncio.create_task(self._run(job), name=f"durable:{job.id}")
                        self._active.add(job_task)
                        job_task.add_done_callback(self._active.discard)
                self._warned_unreachable = False
            except Exception as exc:
                self._claim_failed(exc)
            if claimed and claimed == free:
                await asyncio.sleep(0)  # a full batch: there may be more due right away
                continue
            await self._idle()

    async def _idle(self) -> None:
        """Wait for an enqueue, a job slot to free up, or the poll interval."""
        wake = asyncio.create_task(self._wake.wait())
        try:
            await asyncio.wait(
                {wake, *self._active},
                timeout=self._poll_interval,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            wake.cancel()

    def _claim_failed(self, exc: Exception) -> None:
        if not is_unreachable(exc):
            logger.opt(exception=exc).error("durable jobs: claiming failed")
        elif not self._warned_unreachable:
            # The database's breaker already warns about the outage; say what waits.
            self._warned_unreachable = True
            logger.info("durable jobs wait for the database ({})", type(exc).__name__)

    async def _housekeeping(self) -> None:
        now = self._clock()
        removed = await self.store.prune(
            done_before=now - self._done_retention, dead_before=now - self._dead_retention
        )
        if removed:
            logger.info("durable jobs: pruned {} finished jobs", removed)
        await self.refresh_pending()

    async def _claim(self, limit: int) -> list[ClaimedJob]:
        now = self._clock()
        for kind in await self.store.bury_abandoned(now=now):
            self._metrics.jobs.labels(kind, "dead").inc()
            logger.warning("durable job of kind {} is dead: lease expired on its last attempt",
                           kind)  # fmt: skip
        return await self.store.claim(
            self._handlers, worker=self.worker_id, now=now, lease=self._lease, limit=limit
        )

    async def _run(self, job: ClaimedJob) -> None:
        handler = self._handlers.get(job.kind)
        if handler is None:  # unregistered since the claim: back to the queue as it was
            await self._settle_interrupted(job)
            return
        with correlation(f"durable-{job.kind}-{job.id}"):
            work = asyncio.create_task(handler(job))
            keeper = asyncio.create_task(self._keep_lease(job, work))
            try:
                await asyncio.shield(work)
            except asyncio.CancelledError:
                if work.done() and keeper.done() and not keeper.cancelled() and keeper.result():
                    self._lost(job)  # the keeper cancelled the handler: lease lost
                    return
                work.cancel()  # we are being stopped: interrupt the handler
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await work
                await self._settle_interrupted(job)
                raise
            except Exception as exc:
                await self._settle_failed(job, exc)
            else:
                await self._settle_done(job)
            finally:
                keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeper

    async def _keep_lease(self, job: ClaimedJob, work: asyncio.Task[None]) -> bool:
        """Renew the lease every third of it; cancel ``work`` and return True if it was lost."""
        every = self._lease.total_seconds() / 3
        while not work.done():
            await asyncio.sleep(every)
            try:
                held = await self.store.renew(job, now=self._clock(), lease=self._lease)
            except Exception as exc:
                # Keep working: if the outage outlasts the lease, another runner may
                # take the job, and the fenced settle below will notice.
                logger.warning("durable job {}: lease not renewed ({})", job.id,
                               type(exc).__name__)  # fmt: skip
                continue
            if not held:
                work.cancel()
                return True
        return False

    async def _settle_done(self, job: ClaimedJob) -> None:
        if await self._settle(job, self.store.complete(job, now=self._clock())):
            self._metrics.jobs.labels(job.kind, "done").inc()

    async def _settle_failed(self, job: ClaimedJob, exc: Exception) -> None:
        error = describe(exc)
        now = self._clock()
        if isinstance(exc, PermanentJobError) or job.attempt >= job.max_attempts:
            if await self._settle(job, self.store.bury(job, now=now, error=error)):
                self._metrics.jobs.labels(job.kind, "dead").inc()
                logger.warning("durable job {} ({}) is dead after {} attempt(s): {}",
                               job.id, job.kind, job.attempt, error)  # fmt: skip
            return
        backoff = self._backoffs.get(job.kind, self._backoff)
        delay = backoff.delay(job.attempt, self._jitter())
        retry_at = now + timedelta(seconds=delay)
        if await self._settle(job, self.store.retry(job, now=now, run_after=retry_at, error=error)):
            self._metrics.jobs.labels(job.kind, "retried").inc()
            if delay < self._poll_interval:  # due before the next poll: claim it on time
                asyncio.get_running_loop().call_later(delay, self._wake.set)
            logger.info("durable job {} ({}) failed attempt {}/{} ({}); retry in {:.1f}s",
                        job.id, job.kind, job.attempt, job.max_attempts, error,
                        delay)  # fmt: skip

    async def _settle_interrupted(self, job: ClaimedJob) -> None:
        now = self._clock()
        write = self.store.retry(job, now=now, run_after=now, error="interrupted by shutdown")
        if await self._settle(job, write):
            self._metrics.jobs.labels(job.kind, "interrupted").inc()

    async def _settle(self, job: ClaimedJob, write: Awaitable[bool]) -> bool:
        """Write a job's outcome; False (and counted as lost) when the lease was taken over."""
        try:
            held = await write
        except Exception as exc:
            # The lease runs out and the job runs again: at least once, as promised.
            logger.warning("durable job {}: outcome not saved ({}); it will run again",
                           job.id, type(exc).__name__)  # fmt: skip
            return False
        if not held:
            self._lost(job)
        return held

    def _lost(self, job: ClaimedJob) -> None:
        self._metrics.jobs.labels(job.kind, "lost").inc()
        logger.warning("durable job {} ({}): lease lost to another runner", job.id, job.kind)
