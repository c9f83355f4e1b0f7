"""Websocket and session lifecycle of the fake Lavalink (a mixin).

``GET /v4/websocket`` (docs/api/websocket.md, docs/api/index.md#resuming):
``ready`` first, then ``stats`` at once and every ``stats_interval``.  With
``Session-Id`` naming a paused resumable session the session is resumed
(``resumed: true``, ``Session-Resumed: true`` header, queued events replayed);
otherwise a new session starts.  When the socket goes away a session with
resuming enabled is paused for ``timeout`` seconds, else destroyed with its
players.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import string
import time
from typing import Any

from aiohttp import web

from .lavalink_catalogue import LAVASRC_SEARCH_PREFIXES, SEARCH_PREFIXES, Catalogue
from .lavalink_faults import FaultsMixin
from .lavalink_state import Session

__all__ = ["ApiError", "SessionsMixin"]

_SESSION_CHARS = string.ascii_lowercase + string.digits


class ApiError(Exception):
    """Raised by handlers; rendered as a Lavalink error JSON."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SessionsMixin(FaultsMixin):
    """Sessions, the websocket endpoint, stats and capability queries."""

    version: str
    source_managers: list[str]
    filters: list[str]
    plugins: list[dict[str, str]]
    catalogue: Catalogue
    stats_interval: float
    advance_without_voice: bool
    _started_at: float

    def has_plugin(self, fragment: str) -> bool:
        """Whether a plugin whose name contains ``fragment`` is enabled."""
        return any(fragment.lower() in p["name"].lower() for p in self.plugins)

    def search_prefixes(self) -> dict[str, str]:
        """Enabled search prefixes -> source they search."""
        prefixes = dict(SEARCH_PREFIXES)
        if self.has_plugin("lavasrc"):
            prefixes.update(LAVASRC_SEARCH_PREFIXES)
        return {p: s for p, s in prefixes.items() if s in self.source_managers}

    def stats(self, *, rest: bool = False) -> dict[str, Any]:
        """The Stats object (``frameStats`` omitted for REST, null without players)."""
        players = [p for _, p in self._all_players()]
        playing = sum(1 for p in players if p.playing)
        stats: dict[str, Any] = {
            "players": len(players),
            "playingPlayers": playing,
            "uptime": int((time.monotonic() - self._started_at) * 1000),
            "memory": {
                "free": 180_000_000,
                "used": 120_000_000,
                "allocated": 300_000_000,
                "reservable": 2_000_000_000,
            },
            "cpu": {"cores": os.cpu_count() or 4, "systemLoad": 0.05, "lavalinkLoad": 0.01},
        }
        if not rest:
            stats["frameStats"] = (
                {"sent": 3000 * playing, "nulled": 0, "deficit": 0} if players else None
            )
        return stats

    def _new_session_id(self) -> str:
        while True:
            sid = "".join(secrets.choice(_SESSION_CHARS) for _ in range(16))
            if sid not in self._sessions:
                return sid

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        user_id = request.headers.get("User-Id")
        if not user_id:
            raise ApiError(400, "Missing User-Id header")
        client_name = request.headers.get("Client-Name")
        wanted = request.headers.get("Session-Id") or ""
        session = self._sessions.get(wanted) if wanted else None
        resumed = session is not None and session.resuming and not session.connected
        ws = web.WebSocketResponse(timeout=2.0, autoping=True)
        ws.headers["Session-Resumed"] = "true" if resumed else "false"
        await ws.prepare(request)
        if resumed:
            assert session is not None
            if session.expiry_task is not None:
                session.expiry_task.cancel()
                session.expiry_task = None
        else:
            session = Session(self._new_session_id(), user_id, client_name)
            self._sessions[session.id] = session
        session.ws, session.request = ws, request
        await self._send(session, {"op": "ready", "resumed": resumed, "sessionId": session.id})
        backlog, session.queue = session.queue, []
        for payload in backlog:
            await self._send(session, payload)
        await self._send(session, {"op": "stats", **self.stats()}, queue=False)
        session.stats_task = self._spawn(self._stats_loop(session, ws), f"stats {session.id}")
        try:
            async for _msg in ws:
                pass  # Lavalink v4 takes no client ops over the websocket
        finally:
            self._on_ws_gone(session, ws)
        return ws

    async def _stats_loop(self, session: Session, ws: web.WebSocketResponse) -> None:
        while session.ws is ws and not ws.closed:
            await asyncio.sleep(self.stats_interval)
            if session.ws is ws and not ws.closed:
                await self._send(session, {"op": "stats", **self.stats()}, queue=False)

    def _on_ws_gone(self, session: Session, ws: web.WebSocketResponse) -> None:
        if session.ws is not ws:
            return
        session.ws = session.request = None
        if session.stats_task is not None and session.stats_task is not asyncio.current_task():
            session.stats_task.cancel()
        session.stats_task = None
        if session.destroyed:
            return
        if session.resuming and session.timeout > 0:
            session.expiry_task = self._spawn(self._expire(session), f"expire {session.id}")
        else:
            self._destroy_session(session)

    async def _expire(self, session: Session) -> None:
        await asyncio.sleep(session.timeout)
        session.expiry_task = None
        if not session.connected:
            self._destroy_session(session)
