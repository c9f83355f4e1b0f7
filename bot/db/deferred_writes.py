"""Append-only writes (play history, audit log) that wait in memory while the database is down.

A write runs at once when nothing is waiting; otherwise, or when it finds the
database unreachable, it joins the queue and is replayed in order once the
circuit breaker closes. Delivery is at least once: a write whose commit
reached the server just before the connection died is written again.

The queue is bounded: past ``max_pending`` the oldest write is dropped,
counted in ``db_writes_dropped_total`` and logged (once per outage). What is
still queued when the process stops during an outage is lost, and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from loguru import logger

from bot.db.circuit_breaker import CircuitBreaker
from bot.db.errors import is_unreachable
from bot.db.metrics import METRICS, PersistenceMetrics

__all__ = ["DeferredWrites"]

Write = Callable[[], Awaitable[Any]]
_RETRY_PAUSE = 0.1


class DeferredWrites:
    """An ordered, bounded queue of writes replayed when the database answers again."""

    def __init__(
        self,
        breaker: CircuitBreaker,
        *,
        max_pending: int = 10_000,
        metrics: PersistenceMetrics = METRICS,
    ) -> None:
        self._breaker = breaker
        self._max_pending = max_pending
        self._metrics = metrics
        self._pending: deque[tuple[str, Write]] = deque()
        self._drain_task: asyncio.Task[None] | None = None
        self._warned_full = False

    def __len__(self) -> int:
        return len(self._pending)

    async def write(self, kind: str, write: Write) -> bool:
        """Run ``write`` now, or keep it for later; return whether it ran now.

        Errors other than an unreachable database (a constraint, a bad
        statement) are raised as usual.
        """
        if not self._pending:
            try:
                await write()
            except Exception as exc:
                if not is_unreachable(exc):
                    raise
                self._breaker.trip(exc)
            else:
                return True
        self._keep(kind, write)
        return False

    async def close(self, timeout: float = 2.0) -> None:
        """Stop replaying; try once more if the database answers, then log what is lost."""
        task, self._drain_task = self._drain_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pending and not self._breaker.is_open:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._drain()
        if self._pending:
            logger.error(
                "Stopping with {} write(s) the database never received: they are lost",
                len(self._pending),
            )
            while self._pending:
                self._forget()

    def _keep(self, kind: str, write: Write) -> None:
        if len(self._pending) >= self._max_pending:
            dropped_kind, _ = self._forget()
            self._metrics.dropped_writes.labels(dropped_kind).inc()
            if not self._warned_full:
                self._warned_full = True
                logger.warning(
                    "{} writes are waiting for the database: dropping the oldest from now on",
                    self._max_pending,
                )
        self._pending.append((kind, write))
        self._metrics.pending_writes.labels(kind).inc()
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = asyncio.get_running_loop().create_task(
                self._drain(), name="deferred-writes"
            )

    def _forget(self) -> tuple[str, Write]:
        kind, write = self._pending.popleft()
        self._metrics.pending_writes.labels(kind).dec()
        return kind, write

    async def _drain(self) -> None:
        while self._pending:
            await self._breaker.wait_closed()
            kind, write = self._pending[0]
            try:
                await write()
            except Exception as exc:
                if is_unreachable(exc):
                    self._breaker.trip(exc)
                    if not self._breaker.is_open:  # closing down: no probe will wake us
                        await asyncio.sleep(_RETRY_PAUSE)
                    continue
                logger.opt(exception=exc).error(
                    "The database refused a kept {} write; dropping it", kind
                )
                self._metrics.dropped_writes.labels(kind).inc()
            self._forget()
        self._warned_full = False
