"""Fault injection for the fake Lavalink (a mixin for ``FakeLavalink``).

Track faults (exception, stuck), voice-socket closes, websocket close/drop,
server restart with downtime, slow and failing HTTP replies.
"""

from __future__ import annotations

import asyncio
import re
import time

from aiohttp import web

from .lavalink_catalogue import Catalogue
from .lavalink_playback import PlaybackMixin, TrackFault

__all__ = ["FaultsMixin"]


class FailRule:
    def __init__(self, status: int, count: int | None, pattern: str | None, method: str | None):
        self.status, self.count, self.method = status, count, method
        self.pattern = re.compile(pattern) if pattern else None

    def matches(self, request: web.Request) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if self.method and request.method.upper() != self.method.upper():
            return False
        if self.pattern is None:  # default: every REST route, not the websocket
            return request.path != "/v4/websocket"
        return bool(self.pattern.search(request.path))


class FaultsMixin(PlaybackMixin):
    """Switches a test flips to make the fake misbehave like a real node can."""

    _fail_rules: list[FailRule]
    _slow: tuple[float, re.Pattern[str] | None]
    _runner: web.AppRunner | None
    _site: web.TCPSite | None
    _comeback: asyncio.Task[None] | None
    _started_at: float
    catalogue: Catalogue

    async def come_back(self) -> None:  # provided by FakeLavalink
        raise NotImplementedError

    def fail_track(
        self,
        identifier: str,
        message: str = "This video is unavailable",
        severity: str = "common",
        *,
        after_ms: int = 0,
    ) -> None:
        """Playing ``identifier`` throws: TrackExceptionEvent then TrackEndEvent(loadFailed).

        ``after_ms=0`` fails while loading; otherwise once playback reaches it.
        """
        self._track_faults[identifier] = TrackFault("fail", message, severity, after_ms=after_ms)

    def stick_track(self, identifier: str, threshold_ms: int = 10_000) -> None:
        """Playing ``identifier`` freezes and emits TrackStuckEvent after ``threshold_ms``."""
        self._track_faults[identifier] = TrackFault("stick", threshold_ms=threshold_ms)

    def slow_responses(self, seconds: float, path_pattern: str | None = None) -> None:
        """Delay every REST reply (matching ``path_pattern``, re.search) by ``seconds``."""
        self._slow = (seconds, re.compile(path_pattern) if path_pattern else None)

    def fail_requests(
        self,
        status: int = 500,
        count: int | None = 1,
        path_pattern: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests (``None``: all) with ``status``.

        ``path_pattern`` is a regex (re.search); without one, every REST route except
        the websocket matches.  Auth is still checked first.
        """
        self._fail_rules.append(FailRule(status, count, path_pattern, method))

    def clear_faults(self) -> None:
        """Remove every injected fault (track faults, load failures, slow/failing HTTP)."""
        self._track_faults.clear()
        self._fail_rules.clear()
        self.catalogue.failures.clear()
        self._slow = (0.0, None)

    async def voice_closed(
        self,
        guild_id: int | str,
        code: int = 4006,
        reason: str = "Your session is no longer valid.",
        by_remote: bool = True,
    ) -> None:
        """Discord closed the voice socket: WebSocketClosedEvent, player disconnected."""
        for session, player in self._players_for(guild_id):
            player.rebase()
            player.connected = False
            if player.update_task is not None:
                player.update_task.cancel()
                player.update_task = None
            self._reschedule(session, player)
            await self._event(
                session,
                player,
                "WebSocketClosedEvent",
                code=code,
                reason=reason,
                byRemote=by_remote,
            )

    async def close_websockets(self, code: int = 1000, reason: str = "") -> None:
        """Close every client websocket cleanly (close frame with ``code``)."""
        for session in list(self._sessions.values()):
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=code, message=reason.encode())

    async def drop_websockets(self) -> None:
        """Abort every client websocket's TCP connection: no close frame."""
        for session in list(self._sessions.values()):
            if session.request is not None and session.request.transport is not None:
                session.request.transport.abort()

    async def restart(self, downtime: float | None = 0.0) -> None:
        """Simulate a Lavalink restart: every connection dropped, all sessions gone.

        ``downtime=0`` comes back at once, a number of seconds comes back later,
        ``None`` stays down (connections refused) until :meth:`come_back`.
        """
        for session in list(self._sessions.values()):
            request = session.request
            self._destroy_session(session)
            if request is not None and request.transport is not None:
                request.transport.abort()
        if self._site is not None:
            await self._site.stop()
            self._site = None
        server = self._runner.server if self._runner is not None else None
        for conn in server.connections if server is not None else []:
            conn.force_close()
        self._started_at = time.monotonic()
        if downtime == 0:
            await self.come_back()
        elif downtime is not None:
            self._comeback = self._spawn(self._come_back_later(downtime), "come back")

    async def _come_back_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.come_back()
