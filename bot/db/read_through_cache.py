"""A bounded TTL cache in front of an async loader that serves stale values when it fails.

Reads go through the cache (one load per key at a time, however many callers
wait on it); writes go to the backend first and then replace the cache entry,
so the writing process never reads its own write stale.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from cachetools import LRUCache, TTLCache
from loguru import logger

from bot.db.errors import DB_UNAVAILABLE_ERRORS, DatabaseOutageError, DatabaseUnavailableError
from bot.db.metrics import METRICS, PersistenceMetrics

__all__ = ["ReadThroughCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _EvictionCountingTTLCache(TTLCache[Any, Any]):
    """A ``TTLCache`` that reports each entry pushed out because the cache is full."""

    def __init__(
        self, maxsize: int, ttl: float, timer: Callable[[], float], on_evict: Callable[[], None]
    ) -> None:
        super().__init__(maxsize, ttl, timer)
        self._on_evict = on_evict

    def popitem(self) -> tuple[Any, Any]:
        # cachetools calls popitem only to make room; TTL expiry goes through expire().
        item = super().popitem()
        self._on_evict()
        return item


class ReadThroughCache(Generic[K, V]):
    """Fresh values for ``ttl`` seconds, at most ``max_size`` keys, least recently used out first.

    When the loader fails with a database error, the last value seen for the
    key is returned (counted as stale); without one, ``fallback`` decides, and
    without a fallback ``DatabaseUnavailableError`` is raised. With
    ``load_timeout``, a load slower than that is not waited for when a last
    value is known: the caller gets it, and the load refreshes the entry
    when it finishes (a database that stopped answering must not hold commands
    for its connect timeout).
    """

    def __init__(
        self,
        name: str,
        loader: Callable[[K], Awaitable[V]],
        *,
        ttl: float,
        max_size: int,
        fallback: Callable[[K], V] | None = None,
        load_timeout: float | None = None,
        metrics: PersistenceMetrics = METRICS,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._loader = loader
        self._fallback = fallback
        self._load_timeout = load_timeout
        self._hits = metrics.cache_hits.labels(name)
        self._misses = metrics.cache_misses.labels(name)
        self._stale = metrics.cache_stale_served.labels(name)
        evictions = metrics.cache_evictions.labels(name)
        self._fresh = _EvictionCountingTTLCache(max_size, ttl, timer, evictions.inc)
        self._last_known: LRUCache[Any, Any] = LRUCache(max_size)
        self._loading: dict[K, asyncio.Task[V]] = {}

    def __len__(self) -> int:
        return len(self._fresh)

    async def get(self, key: K) -> V:
        """Return the cached value, loading it on a miss."""
        try:
            value: V = self._fresh[key]
        except KeyError:
            self._misses.inc()
        else:
            self._hits.inc()
            return value
        loading = self._loading.get(key)
        if loading is None:
            loading = asyncio.ensure_future(self._load(key))
            self._loading[key] = loading
            loading.add_done_callback(lambda task: self._forget_load(key, task))
        if self._load_timeout is not None and key in self._last_known:
            await asyncio.wait({loading}, timeout=self._load_timeout)
            if not loading.done():
                return self._serve_stale(key, TimeoutError())
        try:
            # Shielded: one caller giving up must not cancel the load for the others.
            return await asyncio.shield(loading)
        except DB_UNAVAILABLE_ERRORS as exc:
            return self._serve_stale(key, exc)

    def put(self, key: K, value: V) -> None:
        """Store a value just written to the backend; a load already running is ignored."""
        self._loading.pop(key, None)
        self._fresh[key] = value
        self._last_known[key] = value

    def invalidate(self, key: K) -> None:
        """Drop the fresh entry so the next ``get`` reloads (the stale copy is kept)."""
        self._loading.pop(key, None)
        self._fresh.pop(key, None)

    def clear(self) -> None:
        """Drop every fresh entry."""
        self._loading.clear()
        self._fresh.clear()

    async def _load(self, key: K) -> V:
        value = await self._loader(key)
        # A put() or invalidate() while this load ran makes its result outdated.
        if self._loading.get(key) is asyncio.current_task():
            self._fresh[key] = value
            self._last_known[key] = value
        return value

    def _forget_load(self, key: K, task: asyncio.Task[V]) -> None:
        if self._loading.get(key) is task:
            del self._loading[key]
        if not task.cancelled():
            # Retrieved here: a caller that stopped waiting (load_timeout) never will.
            task.exception()

    def _serve_stale(self, key: K, exc: BaseException) -> V:
        # During a known outage the circuit breaker has said it once already.
        log = logger.debug if isinstance(exc, DatabaseOutageError) else logger.warning
        if key in self._last_known:
            self._stale.inc()
            log(
                "{} cache: database unavailable ({}), serving the last known value for {!r}",
                self.name,
                type(exc).__name__,
                key,
            )
            value: V = self._last_known[key]
            return value
        if self._fallback is not None:
            log(
                "{} cache: database unavailable ({}), using the default for {!r}",
                self.name,
                type(exc).__name__,
                key,
            )
            return self._fallback(key)
        raise DatabaseUnavailableError(f"the {self.name.replace('_', ' ')}") from exc
