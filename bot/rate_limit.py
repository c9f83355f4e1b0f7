"""A sliding-window rate limiter with bounded memory, keyed by user or guild id."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable

from cachetools import TTLCache


class SlidingWindowLimiter:
    """At most `limit` hits per `window` seconds per key; idle keys expire with the window."""

    def __init__(
        self,
        *,
        window: float,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self._clock = clock
        self._hits: TTLCache[Hashable, deque[float]] = TTLCache(
            maxsize=max_keys, ttl=window, timer=clock
        )

    def hit(self, key: Hashable, limit: int) -> float:
        """Record a hit; returns 0 if allowed, else the seconds until the next hit is."""
        now = self._clock()
        hits = self._hits.get(key)
        if hits is None:
            hits = deque()
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= limit:
            self._hits[key] = hits
            return self.window - (now - hits[0])
        hits.append(now)
        self._hits[key] = hits  # re-set so the key lives a full window after its last hit
        return 0.0
