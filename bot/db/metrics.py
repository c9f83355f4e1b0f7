"""Prometheus metrics of the persistence layer and its caches.

``METRICS`` is created once, at import, in the global registry. Tests (or a
second app in one process) build their own ``PersistenceMetrics`` with a
private ``CollectorRegistry``. Other in-process caches (e.g. the search cache)
should reuse ``METRICS.cache_hits``/``cache_misses``/``cache_evictions`` with
their own ``cache`` label instead of registering the same names again.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["METRICS", "PersistenceMetrics"]


class PersistenceMetrics:
    """The counters and histograms of the database and cache layer."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        self.cache_hits = Counter(
            "cache_hits_total", "Cache lookups answered from memory.", ["cache"], registry=registry
        )
        self.cache_misses = Counter(
            "cache_misses_total",
            "Cache lookups that went to the backend.",
            ["cache"],
            registry=registry,
        )
        self.cache_evictions = Counter(
            "cache_evictions_total",
            "Entries pushed out of a full cache.",
            ["cache"],
            registry=registry,
        )
        self.cache_stale_served = Counter(
            "cache_stale_served_total",
            "Lookups answered with a stale value because the backend failed.",
            ["cache"],
            registry=registry,
        )
        self.cache_shared = Counter(
            "cache_shared_total",
            "Lookups in the shared Redis layer after a memory miss: hit, miss, error "
            "(Redis failed, the database answered) or unavailable (not connected).",
            ["cache", "result"],
            registry=registry,
        )
        self.cache_invalidations = Counter(
            "cache_invalidations_total",
            "Invalidations across processes: sent, received, or failed (sent once Redis is back).",
            ["cache", "status"],
            registry=registry,
        )
        self.slow_queries = Counter(
            "db_slow_queries_total",
            "SQL statements slower than the slow-query threshold.",
            registry=registry,
        )
        self.errors = Counter(
            "db_errors_total",
            "SQL statements that raised, by exception type.",
            ["error"],
            registry=registry,
        )
        self.query_duration = Histogram(
            "db_query_duration_seconds",
            "Time spent executing SQL statements.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=registry,
        )
        self.available = Gauge(
            "db_available",
            "1 while the database answers, 0 during an outage.",
            registry=registry,
        )
        self.available.set(1)
        self.outages = Counter(
            "db_outages_total",
            "Times the database became unreachable.",
            registry=registry,
        )
        self.pending_writes = Gauge(
            "db_pending_writes",
            "Writes held in memory until the database answers, by kind.",
            ["kind"],
            registry=registry,
        )
        self.dropped_writes = Counter(
            "db_writes_dropped_total",
            "Writes given up: too many pending during an outage, or refused by the database.",
            ["kind"],
            registry=registry,
        )


METRICS = PersistenceMetrics()
