"""The aiohttp application: probes (`/health`, `/ready`), `/metrics`, `/info`, and the
REST API and status page routes, behind the middlewares of `bot.api.middleware`."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.api import rest, status
from bot.api.metrics import MetricsPage
from bot.api.middleware import PORT, deadline, json_errors, observe
from bot.api.port import BotPort
from bot.version import versions

METRICS_PAGE = web.AppKey("metrics_page", MetricsPage)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def build_app(port: BotPort) -> web.Application:
    """The HTTP application for the bot behind `port`."""
    app = web.Application(
        client_max_size=port.settings.max_body_bytes,
        middlewares=[observe, json_errors, deadline],
    )
    app[PORT] = port
    app[METRICS_PAGE] = MetricsPage()
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/info", info)
    rest.add_routes(app)
    status.add_routes(app)
    return app


async def _security_headers(_request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


async def health(_request: web.Request) -> web.Response:
    """The process is alive and its event loop answers."""
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    """200 when Discord, a Lavalink node and the database are all up, else 503 naming which."""
    state = await request.app[PORT].readiness()
    body = {
        "ready": state.ready,
        "discord": state.discord,
        "lavalink": state.lavalink,
        "database": state.database,
    }
    return web.json_response(body, status=200 if state.ready else 503)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format (rendered at most once per `api.metrics_max_age_s`)."""
    max_age = request.app[PORT].settings.metrics_max_age_s
    response = web.Response(body=request.app[METRICS_PAGE].body(max_age))
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


async def info(request: web.Request) -> web.Response:
    """Versions, uptime, shards, guilds, nodes and database kind; no secret, no address."""
    port = request.app[PORT]
    process = port.process()
    body = {
        "version": versions(),
        "uptime_s": round(process.uptime_s, 3),
        "shards": {"count": process.shard_count, "ids": process.shard_ids},
        "guilds": process.guilds,
        "latency_ms": process.latency_ms,
        "nodes": [asdict(node) for node in port.nodes()],
        "database": {"kind": process.database},
    }
    return web.json_response(body)
