"""Metrics of the HTTP side. Labels are route templates and methods: a bounded set."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
