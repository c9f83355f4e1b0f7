"""Metrics of the HTTP side. Labels are route templates and methods: a bounded set."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest

API_REQUESTS = Counter(
    "api_requests_total",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
)
API_LATENCY = Histogram(
    "api_request_duration_seconds",
    "Time to answer an HTTP request (event streams excluded).",
    ["route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0),
)


class MetricsPage:
    """The Prometheus page, rendered at most once per `max_age` seconds.

    Rendering walks every metric on the event loop (about a millisecond); a
    scraper polling in a tight loop, or many at once, would otherwise take
    that time from the bot's commands. Requests within `max_age` of the last
    render share its text; `max_age` 0 renders every time.
    """

    def __init__(
        self,
        registry: CollectorRegistry = REGISTRY,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._clock = clock
        self._body = b""
        self._rendered_at: float | None = None

    def body(self, max_age: float) -> bytes:
        """The page, from the last render if it is younger than `max_age` seconds."""
        now = self._clock()
        if self._rendered_at is None or now - self._rendered_at >= max_age:
            self._body = generate_latest(self._registry)
            self._rendered_at = now
        return self._body
