"""A protocol-faithful fake Lavalink v4 server for tests (aiohttp).

Built from Lavalink's own docs (``docs/api/rest.md``, ``docs/api/websocket.md``,
``docs/api/index.md`` for resuming) and the facts in
``/work/shared/protocols/lavalink-v4.md``.  Use it as an async context manager::

    async with FakeLavalink(clock_speed=1000) as fake:
        track = fake.add_track(title="Song", author="Band", length=180_000)
        node = mafic.Node(client=..., **fake.node_config())

Run standalone with ``python -m tests.fakes.lavalink --port 2333``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import string
import time
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from .lavalink_catalogue import (
    LAVASRC_SEARCH_PREFIXES,
    SEARCH_PREFIXES,
    Catalogue,
    seed_demo_catalogue,
)
from .lavalink_playback import PlaybackMixin, TrackFault
from .lavalink_routes import ApiError, RoutesMixin, error_response
from .lavalink_state import Clock, RecordedRequest, SentMessage, Session

__all__ = ["FakeLavalink", "RecordedRequest", "SentMessage"]

T = TypeVar("T")
_SESSION_CHARS = string.ascii_lowercase + string.digits
DEFAULT_FILTERS = [
    "volume",
    "equalizer",
    "karaoke",
    "timescale",
    "tremolo",
    "vibrato",
    "distortion",
    "rotation",
    "channelMix",
    "lowPass",
]


class _FailRule:
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


class FakeLavalink(RoutesMixin, PlaybackMixin):
    """Fake Lavalink v4 node.  See ``tests/fakes/README.md`` for the full API."""

    def __init__(
        self,
        password: str = "youshallnotpass",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock_speed: float = 1.0,
        player_update_interval: float = 5.0,
        stats_interval: float = 60.0,
        version: str = "4.1.1",
        source_managers: list[str] | None = None,
        plugins: list[dict[str, str]] | None = None,
        advance_without_voice: bool = False,
        label: str = "fake",
    ) -> None:
        self.password = password
        self.host = host
        self.label = label
        self.version = version
        self.clock = Clock(clock_speed)
        self.player_update_interval = player_update_interval
        self.stats_interval = stats_interval
        self.advance_without_voice = advance_without_voice
        self.source_managers: list[str] = list(
            source_managers or ["youtube", "soundcloud", "bandcamp", "twitch", "vimeo", "http"]
        )
        self.filters: list[str] = list(DEFAULT_FILTERS)
        self.plugins: list[dict[str, str]] = [dict(p) for p in plugins or []]
        self.catalogue = Catalogue()
        #: Every HTTP request received (including 401s and websocket upgrades).
        self.requests: list[RecordedRequest] = []
        #: Every websocket message sent, in order (dicts with ``.seq``/``.session_id``).
        self.sent_events: list[SentMessage] = []
        self._port = port
        self._sessions: dict[str, Session] = {}
        self._track_faults: dict[str, TrackFault] = {}
        self._fail_rules: list[_FailRule] = []
        self._slow: tuple[float, re.Pattern[str] | None] = (0.0, None)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._waiters: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._seq = 0
        self._started_at = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._comeback: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------
    async def start(self) -> FakeLavalink:
        """Bind and start serving; ``port=0`` picks a free port."""
        app = web.Application(middlewares=[self._middleware])
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await self.come_back()
        return self

    async def close(self) -> None:
        """Stop everything: sockets closed (1001), timers cancelled, port released."""
        if self._comeback is not None:
            self._comeback.cancel()
        for session in list(self._sessions.values()):
            ws = session.ws
            self._destroy_session(session)
            if ws is not None and not ws.closed:
                await ws.close(code=1001, message=b"Lavalink shutting down")
        await self._cancel_tasks()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = self._site = None
        for _, fut in self._waiters:
            fut.cancel()
        self._waiters.clear()

    async def __aenter__(self) -> FakeLavalink:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _cancel_tasks(self) -> None:
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def port(self) -> int:
        """The bound TCP port."""
        return self._port

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self._port}"

    @property
    def is_up(self) -> bool:
        """Whether the fake currently accepts connections."""
        return self._site is not None

    def node_config(self) -> dict[str, Any]:
        """Settings for a client node: ``{label, host, port, password, secure}``."""
        return {
            "label": self.label,
            "host": self.host,
            "port": self._port,
            "password": self.password,
            "secure": False,
        }

    async def come_back(self) -> None:
        """Start accepting connections again after :meth:`restart` with downtime."""
        if self._comeback is not None and self._comeback is not asyncio.current_task():
            self._comeback.cancel()
        self._comeback = None
        if self._site is not None or self._runner is None:
            return
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        self._site = site
        if self._port == 0:
            server = site._server
            assert server is not None and server.sockets
            self._port = server.sockets[0].getsockname()[1]

    # -- clock --------------------------------------------------------------------
    @property
    def clock_speed(self) -> float:
        """Fake ms per real ms; a 180 000 ms track lasts 0.18 s at 1000."""
        return self.clock.speed

    @clock_speed.setter
    def clock_speed(self, value: float) -> None:
        self._set_clock_speed(value)

    def speed_up(self, factor: float) -> None:
        """Multiply the clock speed by ``factor`` (positions and timers follow)."""
        self._set_clock_speed(self.clock.speed * factor)

    # -- catalogue ----------------------------------------------------------------
    def add_track(self, **kwargs: Any) -> dict[str, Any]:
        """Add a track (see :meth:`Catalogue.add_track`); returns the track object."""
        return self.catalogue.add_track(**kwargs)

    def add_playlist(
        self, name: str, tracks: list[dict[str, Any]], **kwargs: Any
    ) -> dict[str, Any]:
        """Add a playlist (``url=``, ``selected=``); returns its load-result data."""
        return self.catalogue.add_playlist(name, tracks, **kwargs)

    def fail_load(self, query_substring: str, message: str, severity: str = "common") -> None:
        """``loadtracks`` for identifiers containing ``query_substring`` gives ``error``."""
        self.catalogue.fail_load(query_substring, message, severity)

    def add_plugin(self, name: str, version: str = "1.0.0") -> None:
        """Report a plugin in ``/v4/info``; ``lavasrc`` also enables its sources/prefixes."""
        self.plugins.append({"name": name, "version": version})
        if "lavasrc" in name.lower():
            for source in ("spotify", "applemusic", "deezer"):
                if source not in self.source_managers:
                    self.source_managers.append(source)

    def has_plugin(self, fragment: str) -> bool:
        """Whether a plugin whose name contains ``fragment`` is enabled."""
        return any(fragment.lower() in p["name"].lower() for p in self.plugins)

    def search_prefixes(self) -> dict[str, str]:
        """Enabled search prefixes -> source they search."""
        prefixes = dict(SEARCH_PREFIXES)
        if self.has_plugin("lavasrc"):
            prefixes.update(LAVASRC_SEARCH_PREFIXES)
        return {p: s for p, s in prefixes.items() if s in self.source_managers}

    # -- faults -------------------------------------------------------------------
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
        self._fail_rules.append(_FailRule(status, count, path_pattern, method))

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

    # -- inspection -----------------------------------------------------------------
    @property
    def session_ids(self) -> list[str]:
        """Ids of live sessions (connected or paused awaiting resume)."""
        return list(self._sessions)

    def session(self, session_id: str) -> Session | None:
        """The session object (players, resuming, timeout) or None."""
        return self._sessions.get(session_id)

    def player(self, guild_id: int | str, session_id: str | None = None) -> dict[str, Any] | None:
        """Player object (as REST shows it) for a guild, in any or the given session."""
        found = self._find_player(guild_id, session_id, lambda p: True)
        return found.to_json() if found else None

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

    async def send_stats(self) -> None:
        """Push a ``stats`` op to every connected session now."""
        for session in list(self._sessions.values()):
            await self._send(session, {"op": "stats", **self.stats()}, queue=False)

    async def send_player_updates(self) -> None:
        """Push a ``playerUpdate`` for every player now."""
        for session, player in self._all_players():
            await self._player_update(session, player)

    def clear_records(self) -> None:
        """Forget recorded requests and sent messages."""
        self.requests.clear()
        self.sent_events.clear()

    # -- waiting ------------------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _notify(self) -> None:
        for check, fut in list(self._waiters):
            if not fut.done():
                result = check()
                if result is not None:
                    fut.set_result(result)

    async def _wait(self, check: Callable[[], T | None], timeout: float, what: str) -> T:
        result = check()
        if result is not None:
            return result
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        entry = (check, fut)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise AssertionError(
                f"FakeLavalink: timed out after {timeout}s waiting for {what}"
            ) from None
        finally:
            self._waiters.remove(entry)

    async def wait_for_request(
        self,
        method: str | None = None,
        path: str | Callable[[RecordedRequest], bool] | None = None,
        *,
        timeout: float = 5.0,
        since: int = 0,
        count: int = 1,
    ) -> RecordedRequest:
        """Wait for the ``count``-th request (from index ``since``) matching.

        ``path`` is a regex (re.search on the path) or a predicate on the record.
        """
        pattern = re.compile(path) if isinstance(path, str) else None

        def matches(r: RecordedRequest) -> bool:
            if method is not None and r.method != method.upper():
                return False
            if pattern is not None:
                return bool(pattern.search(r.path))
            return path is None or (callable(path) and path(r))

        def check() -> RecordedRequest | None:
            hits = [r for r in self.requests[since:] if matches(r)]
            return hits[count - 1] if len(hits) >= count else None

        return await self._wait(check, timeout, f"request {method} {path}")

    async def wait_for_event(
        self,
        type: str,
        guild_id: int | str | None = None,
        *,
        timeout: float = 5.0,
        since: int = 0,
        count: int = 1,
        predicate: Callable[[SentMessage], bool] | None = None,
    ) -> SentMessage:
        """Wait for a sent message whose event ``type`` (or ``op``) is ``type``."""
        gid = None if guild_id is None else str(guild_id)

        def check() -> SentMessage | None:
            hits = [
                m
                for m in self.sent_events[since:]
                if m.kind == type
                and (gid is None or m.get("guildId") == gid)
                and (predicate is None or predicate(m))
            ]
            return hits[count - 1] if len(hits) >= count else None

        return await self._wait(check, timeout, f"{type} (guild {guild_id})")

    async def wait_for_player(
        self,
        guild_id: int | str,
        connected: bool | None = True,
        playing: bool | None = None,
        *,
        timeout: float = 5.0,
        session_id: str | None = None,
    ) -> dict[str, Any]:
        """Wait until a player for the guild matches; returns its Player object."""

        def pred(p: Any) -> bool:
            return (connected is None or p.connected == connected) and (
                playing is None or p.playing == playing
            )

        def check() -> dict[str, Any] | None:
            found = self._find_player(guild_id, session_id, pred)
            return found.to_json() if found else None

        return await self._wait(check, timeout, f"player {guild_id} connected={connected}")

    async def wait_for_session(self, *, timeout: float = 5.0, since: int = 0) -> str:
        """Wait for a ``ready`` op (from index ``since``) and return its session id."""
        msg = await self.wait_for_event("ready", timeout=timeout, since=since)
        return str(msg["sessionId"])

    # -- HTTP plumbing --------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body: Any = None
        if request.body_exists:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
        record = RecordedRequest(
            request.method,
            request.path,
            dict(request.query),
            body,
            dict(request.headers),
            seq=self._next_seq(),
        )
        self.requests.append(record)
        self._notify()
        response = await self._handle(request, handler)
        record.status = response.status
        record.reply_seq = self._next_seq()
        self._notify()
        return response

    async def _handle(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.headers.get("Authorization") != self.password:
            return error_response(401, "Unauthorized", request.path)
        for rule in self._fail_rules:
            if rule.matches(request):
                if rule.count is not None:
                    rule.count -= 1
                return error_response(rule.status, "Injected failure", request.path)
        delay, pattern = self._slow
        slow = pattern is None or pattern.search(request.path)
        if delay > 0 and request.path != "/v4/websocket" and slow:
            await asyncio.sleep(delay)
        try:
            return await handler(request)
        except ApiError as exc:
            return error_response(exc.status, exc.message, request.path)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error_response(exc.status, exc.reason, request.path)

    def _new_session_id(self) -> str:
        while True:
            sid = "".join(secrets.choice(_SESSION_CHARS) for _ in range(16))
            if sid not in self._sessions:
                return sid


async def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake Lavalink v4 server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2333)
    parser.add_argument("--password", default="youshallnotpass")
    parser.add_argument("--clock-speed", type=float, default=1.0)
    parser.add_argument("--player-update-interval", type=float, default=5.0)
    args = parser.parse_args(argv)
    fake = FakeLavalink(
        password=args.password,
        host=args.host,
        port=args.port,
        clock_speed=args.clock_speed,
        player_update_interval=args.player_update_interval,
    )
    seed_demo_catalogue(fake.catalogue)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with fake:
        nodes = json.dumps([{**fake.node_config(), "secure": False}])
        print(f"BOT_LAVALINK__NODES='{nodes}'", flush=True)
        print(f"# fake Lavalink {fake.version} listening on {fake.url}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(_main())
