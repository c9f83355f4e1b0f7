"""The public status page at `/`: nodes and their load, guilds playing now, live updates.

`/status.json` is the page's data; `/events` streams it as server-sent events
(a `snapshot` first, then `guild` or `gone` for each change on
`discord-bot:ui:now`, and `nodes` every `api.status_refresh_s` seconds, which
also keeps the connection alive). Guilds are identified by an opaque key, not
their id; their names are shown only when `api.show_guild_names` is on. The
page builds its DOM with `textContent` only and is served with a CSP that
allows no inline script, so a title like `<img onerror=…>` stays text.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict
from importlib import resources
from typing import Any

from aiohttp import web

from bot.api.board import CLOSED, BoardEntry, Listener, TooManyListeners
from bot.api.errors import ApiError
from bot.api.middleware import PORT
from bot.api.port import BotPort

SALT: web.AppKey[bytes] = web.AppKey("guild_key_salt", bytes)
STATIC = {
    "status.js": "text/javascript",
    "status.css": "text/css",
}
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
RECONNECT_MS = 2000


@functools.cache
def _asset(name: str) -> bytes:
    return (resources.files("bot.api") / "static" / name).read_bytes()


def guild_key(salt: bytes, guild_id: int) -> str:
    """An opaque, per-process key for a guild (its id is not shown on a public page)."""
    return hmac.new(salt, str(guild_id).encode(), hashlib.sha256).hexdigest()[:12]


def public_guild(
    port: BotPort, salt: bytes, guild_id: int, entry: BoardEntry | None, now: float
) -> dict[str, Any] | None:
    """What the page shows of a guild, or None when it plays nothing."""
    if entry is None or entry.state.track is None:
        return None
    track = entry.state.track
    name = None
    if port.settings.show_guild_names:
        guild = port.guild(guild_id)
        name = guild.name if guild is not None else None
    return {
        "key": guild_key(salt, guild_id),
        "name": name,
        "track": {
            "title": track.title,
            "author": track.author,
            "length_ms": track.length_ms,
            "is_stream": track.is_stream,
        },
        "position_ms": entry.position_ms(now),
        "paused": entry.state.paused,
        "queue_length": entry.state.queue_length,
        "loop": entry.state.loop.value,
    }


def public_nodes(port: BotPort) -> list[dict[str, Any]]:
    """The nodes' state and load."""
    return [asdict(node) for node in port.nodes()]


def snapshot(port: BotPort, salt: bytes) -> dict[str, Any]:
    """Everything the page shows."""
    now = port.board.clock()
    guilds = [public_guild(port, salt, gid, entry, now) for gid, entry in port.board.entries()]
    return {
        "nodes": public_nodes(port),
        "guilds": [g for g in guilds if g is not None],
        "refresh_s": port.settings.status_refresh_s,
    }


def _enabled(request: web.Request) -> BotPort:
    port = request.app[PORT]
    if not port.settings.status_page:
        raise web.HTTPNotFound()
    return port


async def page(request: web.Request) -> web.Response:
    """The HTML page."""
    _enabled(request)
    return web.Response(
        body=_asset("status.html"),
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache"},
    )


async def asset(request: web.Request) -> web.Response:
    """The page's script and style sheet."""
    _enabled(request)
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    return web.Response(
        body=_asset(name),
        content_type=STATIC[name],
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def status_json(request: web.Request) -> web.Response:
    """The page's data as JSON."""
    port = _enabled(request)
    return web.json_response(snapshot(port, request.app[SALT]))


def _event(name: str, data: Any) -> bytes:
    # json.dumps escapes newlines, so one `data:` line always holds the whole payload.
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: snapshot, then guild/gone per change, nodes periodically."""
    port = _enabled(request)
    try:
        with port.board.listen() as listener:
            return await _stream(request, port, listener)
    except TooManyListeners:
        raise ApiError(503, "unavailable", "Too many status pages are open.") from None


async def _stream(request: web.Request, port: BotPort, listener: Listener) -> web.StreamResponse:
    salt = request.app[SALT]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    try:
        await response.write(f"retry: {RECONNECT_MS}\n".encode())
        await response.write(_event("snapshot", snapshot(port, salt)))
        while (changed := await listener.next(port.settings.status_refresh_s)) != CLOSED:
            if changed is None:
                await response.write(_event("nodes", public_nodes(port)))
                continue
            entry = port.board.get(changed)
            guild = public_guild(port, salt, changed, entry, port.board.clock())
            if guild is None:
                await response.write(_event("gone", {"key": guild_key(salt, changed)}))
            else:
                await response.write(_event("guild", guild))
    except ConnectionError:
        pass  # the page went away
    return response


def add_routes(app: web.Application) -> None:
    """Register the page, its assets, its data and its event stream."""
    app[SALT] = secrets.token_bytes(16)
    app.router.add_get("/", page, name="status_page")
    app.router.add_get("/static/{name}", asset, name="status_asset")
    app.router.add_get("/status.json", status_json, name="status_json")
    app.router.add_get("/events", events, name="events")
