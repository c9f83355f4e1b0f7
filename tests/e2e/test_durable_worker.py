"""The worker cog runs durable jobs, and a job enqueued before a restart runs after it."""

from __future__ import annotations

import asyncio
from typing import cast

from bot.db.durable_jobs import ClaimedJob, JobStatus
from bot.durable_queue import DurableQueue
from cogs.worker._cog import WorkerCog
from tests.e2e.harness import Harness

KIND = "test.durable"


def durable_queue(h: Harness) -> DurableQueue:
    worker = cast(WorkerCog, h.bot.get_cog("worker"))
    assert worker.durable is not None
    return worker.durable


async def test_worker_runs_a_registered_durable_job(h: Harness) -> None:
    """A job enqueued through the worker's queue is run by its handler in the background."""
    ran = asyncio.Queue[ClaimedJob]()

    async def handle(job: ClaimedJob) -> None:
        await ran.put(job)

    queue = durable_queue(h)
    queue.register(KIND, handle)
    job_id = await queue.enqueue(KIND, {"guild_id": str(h.world.guild.id)})
    job = await asyncio.wait_for(ran.get(), 5)
    assert job.id == job_id and job.payload == {"guild_id": str(h.world.guild.id)}


async def test_job_enqueued_before_a_restart_runs_after_it(h: Harness) -> None:
    """Nothing handles the kind before the restart; the restarted bot's handler runs it once."""
    job_id = await durable_queue(h).enqueue(KIND, {"n": 1}, dedupe_key="restart-test")
    assert h.running is not None
    await h.running.stop()
    await h.start()
    ran = asyncio.Queue[int]()

    async def handle(job: ClaimedJob) -> None:
        await ran.put(job.id)

    queue = durable_queue(h)
    queue.register(KIND, handle)
    assert await asyncio.wait_for(ran.get(), 5) == job_id
    assert await queue.enqueue(KIND, {"n": 2}, dedupe_key="restart-test") == job_id
    await asyncio.sleep(0.2)
    assert ran.empty()
    stored = await queue.store.get(job_id)
    assert stored is not None and stored.status is JobStatus.DONE and stored.attempts == 1
