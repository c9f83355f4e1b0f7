"""SearchCache: TTL expiry on an injected clock, the LRU bound, single-flight, metrics."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from bot.db.metrics import PersistenceMetrics
from bot.music.search_cache import SearchCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Backend:
    """Counts loads; `gate` holds them until released."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.gate: asyncio.Event | None = None

    def loader(self, key: str, value: list[str] | None = None, error: Exception | None = None):
        async def load() -> list[str]:
            self.calls.append(key)
            if self.gate is not None:
                await self.gate.wait()
            if error is not None:
                raise error
            return value if value is not None else [f"result of {key}"]

        return load


@pytest.fixture
def metrics() -> PersistenceMetrics:
    return PersistenceMetrics(CollectorRegistry())


def count(metrics: PersistenceMetrics, name: str) -> float:
    value = metrics.registry.get_sample_value(f"cache_{name}_total", {"cache": "search"})
    return value or 0.0


def make(clock: Clock, metrics: PersistenceMetrics, *, ttl: float = 300, size: int = 10):
    return SearchCache[str, list[str]](ttl=ttl, maxsize=size, timer=clock, metrics=metrics)


async def test_second_get_is_a_hit_without_loading(metrics: PersistenceMetrics) -> None:
    """The same key within the TTL is answered from memory."""
    backend, cache = Backend(), make(Clock(), metrics)
    first = await cache.get("ytsearch:abba", backend.loader("a"))
    second = await cache.get("ytsearch:abba", backend.loader("a"))
    assert first == second == ["result of a"]
    assert backend.calls == ["a"]
    assert (count(metrics, "hits"), count(metrics, "misses")) == (1, 1)


async def test_entry_expires_after_ttl(metrics: PersistenceMetrics) -> None:
    """After `ttl` seconds on the injected clock the key is loaded again."""
    clock, backend = Clock(), Backend()
    cache = make(clock, metrics, ttl=300)
    await cache.get("k", backend.loader("k"))
    clock.now += 299
    await cache.get("k", backend.loader("k"))
    assert backend.calls == ["k"]
    clock.now += 2
    assert cache.peek("k") is None
    await cache.get("k", backend.loader("k"))
    assert backend.calls == ["k", "k"]


async def test_lru_bound_evicts_least_recently_used(metrics: PersistenceMetrics) -> None:
    """A full cache pushes out the least recently used key and counts the eviction."""
    backend, cache = Backend(), make(Clock(), metrics, size=2)
    await cache.get("a", backend.loader("a"))
    await cache.get("b", backend.loader("b"))
    await cache.get("a", backend.loader("a"))  # a is now the most recent
    await cache.get("c", backend.loader("c"))
    assert len(cache) == 2
    assert cache.peek("b") is None and cache.peek("a") is not None
    assert count(metrics, "evictions") == 1


async def test_expiry_is_not_counted_as_eviction(metrics: PersistenceMetrics) -> None:
    """Entries that simply expired are not evictions."""
    clock, backend = Clock(), Backend()
    cache = make(clock, metrics, ttl=10, size=1)
    await cache.get("a", backend.loader("a"))
    clock.now += 11
    await cache.get("b", backend.loader("b"))
    assert count(metrics, "evictions") == 0


async def test_concurrent_identical_gets_share_one_load(metrics: PersistenceMetrics) -> None:
    """Ten callers asking for the same key while it loads cause one load."""
    backend, cache = Backend(), make(Clock(), metrics)
    backend.gate = asyncio.Event()
    waiters = [asyncio.create_task(cache.get("k", backend.loader("k"))) for _ in range(10)]
    await asyncio.sleep(0)
    assert cache.loading == 1
    backend.gate.set()
    results = await asyncio.gather(*waiters)
    assert backend.calls == ["k"]
    assert all(r == ["result of k"] for r in results)
    assert (count(metrics, "misses"), count(metrics, "hits")) == (1, 9)
    assert cache.loading == 0


async def test_different_keys_load_in_parallel(metrics: PersistenceMetrics) -> None:
    """Single-flight is per key."""
    backend, cache = Backend(), make(Clock(), metrics)
    await asyncio.gather(cache.get("a", backend.loader("a")), cache.get("b", backend.loader("b")))
    assert sorted(backend.calls) == ["a", "b"]


async def test_failed_load_reaches_every_waiter_and_is_not_stored(
    metrics: PersistenceMetrics,
) -> None:
    """An error goes to all who waited; the next get tries again."""
    backend, cache = Backend(), make(Clock(), metrics)
    backend.gate = asyncio.Event()
    boom = RuntimeError("lavalink down")
    waiters = [
        asyncio.create_task(cache.get("k", backend.loader("k", error=boom))) for _ in range(3)
    ]
    await asyncio.sleep(0)
    backend.gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(r is boom for r in results)
    backend.gate = None
    assert await cache.get("k", backend.loader("k")) == ["result of k"]
    assert backend.calls == ["k", "k"]


async def test_cancelled_caller_does_not_cancel_the_shared_load(
    metrics: PersistenceMetrics,
) -> None:
    """One caller timing out leaves the load running for the others, and it is stored."""
    backend, cache = Backend(), make(Clock(), metrics)
    backend.gate = asyncio.Event()
    impatient = asyncio.create_task(cache.get("k", backend.loader("k")))
    patient = asyncio.create_task(cache.get("k", backend.loader("k")))
    await asyncio.sleep(0)
    impatient.cancel()
    backend.gate.set()
    assert await patient == ["result of k"]
    assert cache.peek("k") == ["result of k"]


async def test_empty_result_is_cached(metrics: PersistenceMetrics) -> None:
    """An empty result ("nothing found") is an answer too, kept like any other."""
    backend, cache = Backend(), make(Clock(), metrics)
    await cache.get("zzz", backend.loader("zzz", value=[]))
    assert await cache.get("zzz", backend.loader("zzz", value=[])) == []
    assert backend.calls == ["zzz"]


async def test_configure_applies_new_limits(metrics: PersistenceMetrics) -> None:
    """A config reload with another TTL or size rebuilds the cache; the same values keep it."""
    backend, cache = Backend(), make(Clock(), metrics, ttl=300, size=10)
    await cache.get("k", backend.loader("k"))
    cache.configure(ttl=300, maxsize=10)
    assert cache.peek("k") is not None
    cache.configure(ttl=60, maxsize=5)
    assert (cache.ttl, cache.maxsize, len(cache)) == (60, 5, 0)


def test_peek_miss_counts_nothing(metrics: PersistenceMetrics) -> None:
    """A peek that finds nothing made no backend request, so it is no miss."""
    cache = make(Clock(), metrics)
    assert cache.peek("nope") is None
    assert (count(metrics, "hits"), count(metrics, "misses")) == (0, 0)
