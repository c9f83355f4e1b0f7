"""Spans for the Lavalink REST calls mafic makes (load tracks, player updates, plugins).

mafic sends every REST call through one aiohttp session per node, made by
`Node._create_session` (again after each close); `TracedNode` makes it with a
trace config that opens a client span per request, so calls made for a
command join its trace. Outside a trace (and with tracing off) the hooks do
nothing.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import aiohttp
import mafic
from mafic.__libraries import dumps

from bot import tracing

__all__ = ["TracedNode", "lavalink_route"]

_SESSION = re.compile(r"/sessions/[^/]+")
_PLAYER = re.compile(r"/players/\d+")


def lavalink_route(path: str) -> str:
    """The path as a bounded template: `/v4/sessions/{session_id}/players/{guild_id}`."""
    path = _SESSION.sub("/sessions/{session_id}", path)
    return _PLAYER.sub("/players/{guild_id}", path)


async def _on_start(
    _session: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestStartParams
) -> None:
    route = lavalink_route(params.url.path)
    ctx.span = tracing.start_child_span(
        f"Lavalink {params.method} {route}",
        {
            "http.request.method": params.method,
            "url.template": route,
            "server.address": params.url.host or "",
            "server.port": params.url.port or 0,
        },
    )


async def _on_end(
    _session: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
) -> None:
    span = getattr(ctx, "span", None)
    if span is not None:
        status = params.response.status
        span.set_attribute("http.response.status_code", status)
        tracing.end_span(span, failed=status >= 400)


async def _on_error(
    _session: aiohttp.ClientSession,
    ctx: SimpleNamespace,
    params: aiohttp.TraceRequestExceptionParams,
) -> None:
    span = getattr(ctx, "span", None)
    if span is not None:
        span.set_attribute("error.type", type(params.exception).__name__)
        tracing.end_span(span, failed=True)


def _trace_config() -> aiohttp.TraceConfig:
    config = aiohttp.TraceConfig()
    config.on_request_start.append(_on_start)
    config.on_request_end.append(_on_end)
    config.on_request_exception.append(_on_error)
    return config


class TracedNode(mafic.Node[Any]):
    """A mafic node whose REST calls get spans."""

    async def _create_session(self) -> aiohttp.ClientSession:
        # As mafic's own, plus the trace config.
        return aiohttp.ClientSession(json_serialize=dumps, trace_configs=[_trace_config()])
