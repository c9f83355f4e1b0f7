"""The aiohttp application: `/health`, `/ready` and `/metrics`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest


@dataclass(frozen=True)
class Readiness:
    """Which parts of the bot are ready to serve users."""

    discord: bool
    lavalink: bool
    database: bool

    @property
    def ready(self) -> bool:
        """True when every part is."""
        return self.discord and self.lavalink and self.database


ReadinessProbe = Callable[[], Awaitable[Readiness]]


def build_app(probe: ReadinessProbe, *, client_max_size: int = 64 * 1024) -> web.Application:
    """The HTTP application; `probe` reports readiness."""
    app = web.Application(client_max_size=client_max_size)

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def ready(_request: web.Request) -> web.Response:
        state = await probe()
        body = {
            "ready": state.ready,
            "discord": state.discord,
            "lavalink": state.lavalink,
            "database": state.database,
        }
        return web.json_response(body, status=200 if state.ready else 503)

    async def metrics(_request: web.Request) -> web.Response:
        response = web.Response(body=generate_latest(REGISTRY))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics)
    return app
