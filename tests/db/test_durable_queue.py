"""Durable jobs: retries with backoff, the dead letter, leases, dedupe, and two runners at once."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from bot.db.database import Database
from bot.db.durable_jobs import ClaimedJob, JobStatus
from bot.durable_queue import (
    Backoff,
    DurableJobMetrics,
    DurableQueue,
    JobError,
    PermanentJobError,
)

KIND = "test.echo"
START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Recorder:
    """A handler that records each run and fails its first `failures` runs per job."""

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or RuntimeError("receiver said no")
        self.runs: Counter[int] = Counter()
        self.payloads: list[dict[str, object]] = []

    async def __call__(self, job: ClaimedJob) -> None:
        self.runs[job.id] += 1
        self.payloads.append(job.payload)
        if self.runs[job.id] <= self.failures:
            raise self.error


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def job_metrics() -> DurableJobMetrics:
    return DurableJobMetrics(CollectorRegistry())


def make_queue(
    database: Database, clock: Clock, metrics: DurableJobMetrics, **options: object
) -> DurableQueue:
    defaults: dict[str, object] = {
        "clock": clock,
        "jitter": lambda: 0.5,
        "backoff": Backoff(base_s=10, max_s=1000),
        "max_attempts": 3,
        "lease_s": 60,
        "metrics": metrics,
    }
    return DurableQueue(database, **{**defaults, **options})  # type: ignore[arg-type]


async def wait_until_nothing_pending(queue: DurableQueue, timeout: float = 30) -> None:
    """Poll the table (the runners may be in other processes) until no job is left."""
    async with asyncio.timeout(timeout):
        while await queue.refresh_pending():  # noqa: ASYNC110 - the table has no event
            await asyncio.sleep(0.02)


def counted(metrics: DurableJobMetrics, status: str, kind: str = KIND) -> float:
    value = metrics.registry.get_sample_value(
        "durable_jobs_total", {"kind": kind, "status": status}
    )
    return value or 0.0


async def test_job_runs_once_and_is_done(
    database: Database, clock: Clock, job_metrics: DurableJobMetrics
) -> None:
    """An enqueued job runs with its payload, is marked done and is not run again."""
    queue = make_queue(database, clock, job_metrics)
    handler = Recorder()
    queue.register(KIND, handler)
    job_id = await queue.enqueue(KIND, {"guild_id": "1", "title": "Song"})
    assert await queue.run_once() == 1
    assert await queue.run_once() == 0
    assert handler.payloads == [{"guild_id": "1", "title": "Song"}]
    job = await queue.store.get(job_id)
    assert job is not None and job.status is JobStatus.DONE and job.attempts == 1
    assert job.locked_by is None and job.locked_until is None
    assert counted(job_metrics, "done") == 1


async def test_failures_back_off_exponentially_then_succeed(
    database: Database, clock: Clock, job_metrics: DurableJobMetrics
) -> None:
    """Failed runs wait 10 s, then 20 s (times 0.75 with jitter 0.5), and are not run early."""
    queue = make_queue(database, clock, job_metrics)
    handler = Recorder(failures=2)
    queue.register(KIND, handler)
    job_id = await queue.enqueue(KIND, {})
    waits = []
    for _ in range(2):
        assert await queue.run_once() == 1
        job = await queue.store.get(job_id)
        assert job is not None and job.status is JobStatus.QUEUED
        waits.append((job.run_after - clock.now).total_seconds())
        clock.advance(waits[-1] - 0.001)
        assert await queue.run_once() == 0  # not due yet
        clock.advance(0.001)
    assert waits == [7.5, 15.0]
    assert await queue.run_once() == 1
    job = await queue.store.get(job_id)
    assert job is not None and job.status is JobStatus.DONE and job.attempts == 3
    assert counted(job_metrics, "retried") == 2 and counted(job_metrics, "done") == 1


async def test_backoff_is_capped_and_jittered() -> None:
    """Delays double from the base up to the cap; jitter moves them within [half, full]."""
    backoff = Backoff(base_s=5, max_s=60)
    assert [backoff.delay(n, 1.0) for n in (1, 2, 3, 4, 5, 6)] == [5, 10, 20, 40, 60, 60]
    assert backoff.delay(3, 0.0) == 10


async def test_job_is_dead_after_max_attempts_without_the_error_text(
    database: Database, clock: Clock, job_metrics: DurableJobMetrics
) -> None:
    """After max_attempts failures the job is dead; last_error keeps the type, not the message."""
    queue = make_queue(database, clock, job_metrics)
    handler = Recorder(failures=99, error=RuntimeError("POST https://x/hook?token=s3cret failed"))
    queue.register(KIND, handler)
    job_id = await queue.enqueue(KIND, {})
    for _ in range(5):
        await queue.run_once()
        clock.advance(1000)
    job = await queue.store.get(job_id)
    assert job is not None and job.status is JobStatus.DEAD
    assert handler.runs[job_id] == job.attempts == 3
    assert job.last_error == "RuntimeError"
    assert counted(job_metrics, "retried") == 2 and counted(job_metrics, "dead") == 1
    assert [j.id for j in await queue.store.jobs(status=JobStatus.DEAD)] == [job_id]


async def test_permanent_error_is_dead_at_once_with_its_safe_reason(
    database: Database, clock: Clock, job_metrics: DurableJobMetrics
) -> None:
    """PermanentJobError skips the retries; its own text is stored."""
    queue = make_queue(database, clock, job_metrics)
    queue.register(KIND, Recorder(failures=1, error=PermanentJobError("receiver answered 404")))
    job_id = await queue.enqueue(KIND, {})
    await queue.run_once()
    job = await queue.store.get(job_id)
    assert job is not None and job.status is JobStatus.DEAD and job.attempts == 1
    assert job.last_error == "PermanentJobError: receiver answered 404"


async def test_dead_job_can_be_requeued(
    database: Database, clock: Clock, job_metrics: DurableJobMetrics
) -> None:
    """An operator's requeue gives a dead job a fresh set of attempts."""
    queue = make_queue(database, clock, job_metrics, max_attempts=1)
    handler = Recorder(failures=1, error=JobError("try later"))
    queue.register(KIND, handler)
    job_id = await queue.enqueue(KIND, {})
    await queue.run_once()
    assert await queue.store.requeue(job_id, now=clock.now)
    await queue.run_once()
    job = await queue.store.get(job_id)
    assert job is not None and job.status is JobStatus.DONE and handler.runs[job_id] == 2


async def test_expired_lease_runs_the_job_again(
    database: Database, clock: Clock, job_metrics: DurableJobMetrics
) -> None:
    """A runner that died holding a job blocks it only until its lease runs out."""
    crashed = make_queue(database, clock, job_metrics, worker_id="crashed")
    survivor = make_queue(database, clock, job_metrics, worker_id="survivor")
    handler = Recorder()
    survivor.register(KIND, handler)
    job_id = await survivor.enqueue(KIND, {})
    [held] = await crashed.store.claim(
        {KIND}, worker="crashed", now=clock.now, lease=timedelta(seconds=60), limit=10
    )
    assert held.id == job_id
    clock.advance(59)
    assert await survivor.run_once() == 0
    clock.advance(2)
    assert await survivor.run_once() == 1
    job = await survivor.store.get(job_id)
    assert job is not None and job.status is JobStatus.DONE and job.attempts == 2
    # The crashed runner's late report is refused: the job is the survivor's now.
    assert not await crashed.store.complete(held, now=clock.now)
    assert handler.runs[job_id] == 1


async def test_lease_expiring_on_the_last_attempt_is_dead(
    database: Database, clock: Clock, job_metrics: DurableJobMetrics
) -> None:
    """A job whose runner keeps dying is dead-lettered instead of being claimed forever."""
    queue = make_queue(database, clock, job_metrics, max_attempts=2)
    handler = Recorder()
    queue.register(KIND, handler)
    job_id = await queue.enqueue(KIND, {})
    for _ in range(2):
        await queue.store.claim(
            {KIND}, worker="dies", now=clock.now, lease=timedelta(seconds=60), limit=1
        )
        clock.advance(61)
    assert await queue.run_once() == 0
    job = await queue.store.get(job_id)
    assert job is not None and job.status is JobStatus.DEAD
    assert job.last_error == "lease expired on the last attempt"
    assert counted(job_metrics, "dead") == 1 and not handler.runs


async def test_dedupe_key_makes_one_job(
    database: Database, clock: Clock, job_metrics: DurableJobMetrics
) -> None:
    """Enqueueing with a key seen before returns the first job; it runs once, even later."""
    queue = make_queue(database, clock, job_metrics)
    handler = Recorder()
    queue.register(KIND, handler)
    first = await queue.enqueue(KIND, {"n": 1}, dedupe_key="import:42")
    again = await queue.enqueue(KIND, {"n": 2}, dedupe_key="import:42")
    other = await queue.enqueue(KIND, {"n": 3}, dedupe_key="import:43")
    assert first == again != other
    await queue.run_once()
    assert await queue.enqueue(KIND, {"n": 4}, dedupe_key="import:42") == first
    await queue.run_once()
    assert handler.runs == Counter({first: 1, other: 1})
    assert sorted(p["n"] for p in handler.payloads) == [1, 3]  # type: ignore[type-var]
    assert counted(job_metrics, "enqueued") == 2


async def test_only_registered_kinds_are_claimed(
    database: Database, clock: Clock, job_metrics: DurableJobMetrics
) -> None:
    """A kind this process has no handler for waits for a process that has one."""
    queue = make_queue(database, clock, job_metrics)
    queue.register(KIND, Recorder())
    job_id = await queue.enqueue("other.kind", {})
    assert await queue.run_once() == 0
    job = await queue.store.get(job_id)
    assert job is not None and job.status is JobStatus.QUEUED and job.attempts == 0
    assert await queue.refresh_pending() == 1
    assert job_metrics.registry.get_sample_value("durable_jobs_pending") == 1


async def test_done_and_dead_jobs_are_pruned_after_their_retention(
    database: Database, clock: Clock, job_metrics: DurableJobMetrics
) -> None:
    """Housekeeping deletes done jobs after a week and dead ones after a month."""
    queue = make_queue(database, clock, job_metrics, max_attempts=1)
    queue.register(KIND, Recorder())
    queue.register("fails", Recorder(failures=1))
    done = await queue.enqueue(KIND, {})
    dead = await queue.enqueue("fails", {})
    await queue.run_once()
    now = clock.now
    assert await queue.store.prune(done_before=now, dead_before=now) == 0
    later = now + timedelta(days=8)
    assert await queue.store.prune(done_before=later, dead_before=now) == 1
    assert await queue.store.get(done) is None and await queue.store.get(dead) is not None


async def test_slow_job_keeps_its_lease(
    database: Database, database_url: str, job_metrics: DurableJobMetrics
) -> None:
    """The runner renews the lease while a handler works, so nobody else takes the job."""
    other_db = Database(database_url)
    await other_db.connect()
    first = DurableQueue(database, lease_s=0.3, poll_interval_s=0.05, metrics=job_metrics)
    second = DurableQueue(other_db, lease_s=0.3, poll_interval_s=0.05, metrics=job_metrics)
    runs: Counter[int] = Counter()
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(job: ClaimedJob) -> None:
        runs[job.id] += 1
        started.set()
        await release.wait()

    first.register(KIND, slow)
    second.register(KIND, slow)
    job_id = await first.enqueue(KIND, {})
    first.start()
    try:
        await asyncio.wait_for(started.wait(), 5)
        second.start()
        await asyncio.sleep(1.2)  # four leases
        release.set()
        await wait_until_nothing_pending(first)
    finally:
        await first.stop()
        await second.stop()
        await other_db.close()
    job = await first.store.get(job_id)
    assert job is not None and job.status is JobStatus.DONE
    assert runs == Counter({job_id: 1})
    assert counted(job_metrics, "lost") == 0


async def test_stop_puts_a_running_job_back_in_the_queue(
    database: Database, clock: Clock, job_metrics: DurableJobMetrics
) -> None:
    """A job still running when the bot stops is queued again at once for the next start."""
    queue = make_queue(database, clock, job_metrics, poll_interval_s=0.01)
    started = asyncio.Event()

    async def forever(job: ClaimedJob) -> None:
        started.set()
        await asyncio.Event().wait()

    queue.register(KIND, forever)
    job_id = await queue.enqueue(KIND, {})
    queue.start()
    await asyncio.wait_for(started.wait(), 5)
    await queue.stop(grace=0.05)
    job = await queue.store.get(job_id)
    assert job is not None and job.status is JobStatus.QUEUED and job.run_after == clock.now
    assert job.last_error == "interrupted by shutdown"
    assert counted(job_metrics, "interrupted") == 1


@pytest.fixture
async def second_database(database: Database, database_url: str) -> AsyncIterator[Database]:
    """Another connection pool on the same database, as a second bot process has."""
    other = Database(database_url)
    await other.connect()
    yield other
    await other.close()


async def test_two_runners_never_run_the_same_job_twice(
    database: Database, second_database: Database, job_metrics: DurableJobMetrics
) -> None:
    """Two runners on separate pools share 300 jobs: each job runs exactly once."""
    runs: Counter[int] = Counter()
    by_runner: Counter[str] = Counter()
    rng = random.Random(9)

    def handler_for(name: str) -> object:
        async def handle(job: ClaimedJob) -> None:
            runs[job.id] += 1
            by_runner[name] += 1
            await asyncio.sleep(rng.random() * 0.005)

        return handle

    runners = [
        DurableQueue(db, worker_id=name, poll_interval_s=0.02, concurrency=8, metrics=job_metrics)
        for db, name in ((database, "one"), (second_database, "two"))
    ]
    for runner in runners:
        runner.register(KIND, handler_for(runner.worker_id))  # type: ignore[arg-type]
    ids = [await runners[0].enqueue(KIND, {"n": n}) for n in range(300)]
    for runner in runners:
        runner.start()
    try:
        await wait_until_nothing_pending(runners[0])
    finally:
        for runner in runners:
            await runner.stop()
    assert runs == Counter(dict.fromkeys(ids, 1))
    assert by_runner["one"] > 0 and by_runner["two"] > 0
    assert counted(job_metrics, "done") == 300 and counted(job_metrics, "lost") == 0
