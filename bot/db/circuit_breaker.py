"""The database's circuit breaker: fail fast while it is unreachable, notice when it is back.

Closed, statements run as usual. The first error meaning "unreachable" (see
``is_unreachable``) opens it: one warning for the whole outage, the
``db_available`` gauge drops to 0, every new session fails at once with
``DatabaseOutageError`` (so no command waits for a connect timeout), and a
probe pings the server with exponential backoff and jitter. The first answer
closes it, logs how long the outage lasted and wakes ``wait_closed()``.

Why not a library breaker (purgatory, aiobreaker): those let the next caller
through after a fixed time, so recovery is noticed only when someone calls.
Writes held in memory must flush as soon as the server answers, even when no
command runs, hence the probe; and it is only a few lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable

from loguru import logger

from bot.db.errors import DatabaseOutageError
from bot.db.metrics import METRICS, PersistenceMetrics

__all__ = ["CircuitBreaker"]


class CircuitBreaker:
    """Open from the first unreachable-database error until ``probe`` answers True."""

    def __init__(
        self,
        probe: Callable[[], Awaitable[bool]],
        *,
        first_delay: float = 0.2,
        max_delay: float = 5.0,
        metrics: PersistenceMetrics = METRICS,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._probe = probe
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._metrics = metrics
        self._jitter = jitter
        self._opened_at: float | None = None
        self._closed = asyncio.Event()
        self._closed.set()
        self._probe_task: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def is_open(self) -> bool:
        """Whether the database is considered unreachable now."""
        return self._opened_at is not None

    def check(self) -> None:
        """Raise ``DatabaseOutageError`` while open."""
        if self._opened_at is not None:
            raise DatabaseOutageError()

    def trip(self, exc: BaseException) -> None:
        """The database could not be reached: open (once per outage) and start probing."""
        if self._opened_at is not None or self._stopped:
            return
        self._opened_at = time.monotonic()
        self._closed.clear()
        self._metrics.available.set(0)
        self._metrics.outages.inc()
        logger.warning(
            "Database unreachable ({}): settings are served from cache and writes are kept "
            "in memory until it answers",
            type(exc).__name__,
        )
        self._probe_task = asyncio.get_running_loop().create_task(
            self._probe_until_closed(), name="database-probe"
        )

    def reset(self) -> None:
        """The database answered: close, and wake whoever waits for it."""
        if self._opened_at is None:
            return
        lasted = time.monotonic() - self._opened_at
        self._opened_at = None
        self._closed.set()
        self._metrics.available.set(1)
        logger.info("Database reachable again after {:.1f}s; writing what was kept", lasted)

    async def wait_closed(self) -> None:
        """Return once the database is considered reachable."""
        await self._closed.wait()

    async def stop(self) -> None:
        """Stop probing for good (the database is being closed)."""
        self._stopped = True
        task, self._probe_task = self._probe_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _probe_until_closed(self) -> None:
        delay = self._first_delay
        while self._opened_at is not None:
            # "Equal jitter": half the delay fixed, half random, so shards sharing one
            # database do not knock on it in step.
            await asyncio.sleep(delay / 2 + delay / 2 * self._jitter())
            if await self._probe():
                self.reset()
                return
            delay = min(delay * 2, self._max_delay)
