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
import re
import signal
import string
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .lavalink_catalogue import (
    Catalogue,
    seed_demo_catalogue,
)
from .lavalink_plugins import PluginsMixin, PluginState
from .lavalink_routes import ALL_FILTERS, ApiError, error_response
from .lavalink_state import Clock, RecordedRequest, SentMessage, Session

if TYPE_CHECKING:
    from .lavalink_faults import FailRule
    from .lavalink_playback import TrackFault

__all__ = ["FakeLavalink", "RecordedRequest", "SentMessage"]

_SESSION_CHARS = string.ascii_lowercase + string.digits


class FakeLavalink(PluginsMixin):
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
        self.filters: list[str] = list(ALL_FILTERS)
        self.plugins: list[dict[str, str]] = [dict(p) for p in plugins or []]
        self.catalogue = Catalogue()
        self.plugin_state = PluginState()
        #: Every HTTP request received (including 401s and websocket upgrades).
        self.requests: list[RecordedRequest] = []
        #: Every websocket message sent, in order (dicts with ``.seq``/``.session_id``).
        self.sent_events: list[SentMessage] = []
        self._port = port
        self._sessions: dict[str, Session] = {}
        self._track_faults: dict[str, TrackFault] = {}
        self._fail_rules: list[FailRule] = []
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
            self._port = int(self._runner.addresses[0][1])

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
        """Report a plugin in ``/v4/info``; ``lavasrc`` also enables its sources/prefixes.

        ``sponsorblock-plugin`` and ``lavalyrics-plugin`` also enable their routes
        (see :mod:`tests.fakes.lavalink_plugins`).
        """
        self.plugins.append({"name": name, "version": version})
        if "lavasrc" in name.lower():
            for source in ("spotify", "applemusic", "deezer"):
                if source not in self.source_managers:
                    self.source_managers.append(source)

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
        nodes = json.dumps([fake.node_config()], separators=(",", ":"))
        print(f"BOT_LAVALINK__NODES='{nodes}'", flush=True)
        print(f"# fake Lavalink {fake.version} listening on {fake.url}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(_main())
