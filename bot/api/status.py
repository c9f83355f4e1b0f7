"""The status page at `/` (placeholder until the page lands)."""

from __future__ import annotations

from aiohttp import web


def add_routes(app: web.Application) -> None:
    """Register the status page routes."""
