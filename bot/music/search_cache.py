"""`SearchCache`: Lavalink load results kept for a while, and one request per key in flight.

A bounded LRU whose entries expire `ttl` seconds after they were stored. When
several callers ask for the same key while it is being loaded, they all wait
for the one load already running (single-flight) instead of starting their
own; a caller that gives up (cancelled, timed out) does not cancel the load
for the others. Failed loads are not stored.

Metrics go to the shared cache counters with `cache="search"`: a hit is an
answer without a new request to Lavalink (a stored entry, or joining a load in
flight), a miss is a request, an eviction is an entry pushed out because the
cache was full (expiry does not count).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

from bot.db.metrics import METRICS, PersistenceMetrics

__all__ = ["SearchCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _CountingTTLCache(TTLCache[K, V]):
    """A TTLCache that reports each LRU eviction."""

    def __init__(
        self, maxsize: int, ttl: float, timer: Callable[[], float], on_evict: Callable[[], None]
    ) -> None:
        super().__init__(maxsize=maxsize, ttl=ttl, timer=timer)
        self._on_evict = on_evict

    def popitem(self) -> tuple[K, V]:
        """Remove the least recently used live entry (only called when full)."""
        item = super().popitem()
        self._on_evict()
        return item


class SearchCache(Generic[K, V]):
    """A TTL + LRU cache of load results with single-flight loading."""

    def __init__(
        self,
        *,
        ttl: float,
        maxsize: int,
        timer: Callable[[], float] = time.monotonic,
        metrics: PersistenceMetrics = METRICS,
        name: str = "search",
    ) -> None:
        self._timer = timer
        self._hits = metrics.cache_hits.labels(cache=name)
        self._misses = metrics.cache_misses.labels(cache=name)
        self._evictions = metrics.cache_evictions.labels(cache=name)
        self._entries = self._new_store(ttl, maxsize)
        self._inflight: dict[K, asyncio.Future[V]] = {}

    def _new_store(self, ttl: float, maxsize: int) -> _CountingTTLCache[K, V]:
        return _CountingTTLCache(maxsize, ttl, self._timer, self._evictions.inc)

    @property
    def ttl(self) -> float:
        """Seconds an entry lives."""
        return float(self._entries.ttl)

    @property
    def maxsize(self) -> int:
        """Most entries kept."""
        return int(self._entries.maxsize)

    def configure(self, *, ttl: float, maxsize: int) -> None:
        """Apply new limits (from a config reload); the entries kept so far are dropped."""
        if ttl != self.ttl or maxsize != self.maxsize:
            self._entries = self._new_store(ttl, maxsize)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def loading(self) -> int:
        """How many loads are in flight."""
        return len(self._inflight)

    def peek(self, key: K) -> V | None:
        """The stored value, without loading; counts a hit when there is one."""
        value = self._entries.get(key)
        if value is not None:
            self._hits.inc()
        return value

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The stored value, or the result of `load()` (shared with concurrent callers)."""
        value = self._entries.get(key)
        if value is not None:
            self._hits.inc()
            return value
        pending = self._inflight.get(key)
        if pending is None:
            self._misses.inc()
            pending = asyncio.ensure_future(self._load(key, load))
            self._inflight[key] = pending
            pending.add_done_callback(lambda done: self._settled(key, done))
        else:
            self._hits.inc()
        # shield: one caller giving up must not cancel the load the others wait for
        return await asyncio.shield(pending)

    async def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        value = await load()
        self._entries[key] = value
        return value

    def _settled(self, key: K, done: asyncio.Future[V]) -> None:
        if self._inflight.get(key) is done:
            del self._inflight[key]
        if not done.cancelled():
            done.exception()  # retrieved: every waiter may have gone away

    def clear(self) -> None:
        """Forget every stored entry (loads in flight still finish)."""
        self._entries.clear()
