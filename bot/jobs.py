"""A small scheduler for periodic jobs: each job in its own task, failures logged and retried."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from loguru import logger

from bot.correlation import correlation


@dataclass
class Job:
    """A coroutine function run every `interval` seconds (first run after one interval)."""

    name: str
    interval: float
    run: Callable[[], Awaitable[None]]
    runs: int = 0
    failures: int = 0
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class JobScheduler:
    """Runs periodic jobs until stopped; a failing run is logged and the job keeps its schedule."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}

    def every(self, interval: float, name: str, run: Callable[[], Awaitable[None]]) -> Job:
        """Schedule `run` every `interval` seconds."""
        if name in self.jobs:
            raise ValueError(f"job {name!r} already scheduled")
        job = Job(name=name, interval=interval, run=run)
        job.task = asyncio.create_task(self._loop(job), name=f"job:{name}")
        self.jobs[name] = job
        return job

    async def _loop(self, job: Job) -> None:
        while True:
            await asyncio.sleep(job.interval)
            with correlation(f"job-{job.name}"):
                try:
                    await job.run()
                except Exception:
                    job.failures += 1
                    logger.exception("job {} failed", job.name)
                finally:
                    job.runs += 1

    async def cancel(self, name: str) -> None:
        """Cancel one job and wait for it to end."""
        job = self.jobs.pop(name, None)
        if job is not None and job.task is not None:
            job.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job.task

    async def stop(self) -> None:
        """Cancel every job and wait for them to end."""
        for name in list(self.jobs):
            await self.cancel(name)
