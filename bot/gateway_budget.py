"""Pacing the bot's background voice joins to Discord's gateway send limit, per shard.

Every voice join is one gateway send (op 4). Discord allows 120 sends per 60 s
per connection, and discord.py keeps 110 of them for the bot: past that its
limiter holds every send, commands and joins alike, until the window ends. A
restart that rejoins hundreds of guilds at once would sit in that limiter until
each join's timeout fired. Joins that can wait (restoring after a restart,
rebuilding players) take a slot here first, so they go out as fast as the
budget allows and leave room for the joins users ask for.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

__all__ = ["WINDOW_S", "GatewayBudget"]

WINDOW_S = 60.0  # Discord counts gateway sends per minute


class GatewayBudget:
    """At most `limit` slots per shard in any `WINDOW_S` seconds; waiters go in order."""

    def __init__(
        self,
        limit: int,
        *,
        window_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window_s = WINDOW_S if window_s is None else window_s
        self._clock = clock
        self._sleep = sleep
        self._taken: dict[int, deque[float]] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def acquire(self, shard_id: int) -> None:
        """Wait until the shard has a free slot in the current window, and take it."""
        taken = self._taken.setdefault(shard_id, deque())
        async with self._locks.setdefault(shard_id, asyncio.Lock()):
            while True:
                now = self._clock()
                while taken and taken[0] <= now - self.window_s:
                    taken.popleft()
                if len(taken) < self.limit:
                    taken.append(now)
                    return
                await self._sleep(taken[0] + self.window_s - now)
