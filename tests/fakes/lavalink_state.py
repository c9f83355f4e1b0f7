"""State models of the fake Lavalink server: clock, players, sessions, records.

Kept apart from the HTTP/websocket layer in :mod:`tests.fakes.lavalink`.  Shapes
follow Lavalink v4's docs: Player object (``rest.md#player``) and Player State
(``websocket.md#player-state``).
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["Clock", "FakePlayer", "RecordedRequest", "SentMessage", "Session"]


class Clock:
    """Fake playback clock: ``speed`` fake milliseconds pass per real millisecond."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be > 0")
        self.speed = float(speed)

    @staticmethod
    def now() -> float:
        """Monotonic real time in seconds (the event loop's clock)."""
        return asyncio.get_running_loop().time()


@dataclass
class RecordedRequest:
    """One HTTP request the fake received.  Unpacks as ``(method, path, query, json)``."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    seq: int
    #: HTTP status of the reply (``None`` while in flight; 101 for a websocket).
    status: int | None = None
    #: Sequence number taken just before the reply was written.
    reply_seq: int | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.method, self.path, self.query, self.json))


class SentMessage(dict):  # type: ignore[type-arg]
    """A websocket payload the fake sent (a plain ``dict``) plus ``seq`` and ``session_id``."""

    __slots__ = ("seq", "session_id")

    def __init__(self, payload: dict[str, Any], *, seq: int, session_id: str) -> None:
        super().__init__(payload)
        self.seq = seq
        self.session_id = session_id

    @property
    def kind(self) -> str:
        """The event ``type`` for ``op == "event"``, else the ``op``."""
        return str(self["type"] if self.get("op") == "event" else self.get("op"))


class FakePlayer:
    """One guild's player inside a session.

    The track position is ``base + elapsed * clock.speed * timescale`` while the
    player is *advancing*: it has a track, is not paused, is not stuck, and is
    connected to voice (lavaplayer only consumes audio when a voice connection
    pulls frames) unless ``advance_without_voice`` is set.
    """

    def __init__(self, guild_id: str, clock: Clock, *, advance_without_voice: bool) -> None:
        self.guild_id = guild_id
        self.clock = clock
        self.advance_without_voice = advance_without_voice
        self.track: dict[str, Any] | None = None
        self.volume = 100
        self.paused = False
        self.filters: dict[str, Any] = {}
        self.voice: dict[str, str] = {"token": "", "endpoint": "", "sessionId": ""}
        self.connected = False
        self.ping = 12
        self.end_time: int | None = None
        self.stuck = False
        #: Fake-clock position (ms) at which the current track throws, if any.
        self.fail_at: int | None = None
        self.fail_exception: dict[str, Any] | None = None
        self._base = 0.0
        self._anchor = clock.now()
        self.stop_task: asyncio.Task[None] | None = None
        self.aux_task: asyncio.Task[None] | None = None
        self.update_task: asyncio.Task[None] | None = None

    # -- clock --------------------------------------------------------------------
    @property
    def rate(self) -> float:
        """Playback rate from the timescale filter (speed * rate)."""
        ts = self.filters.get("timescale") or {}
        try:
            return max(float(ts.get("speed", 1.0)) * float(ts.get("rate", 1.0)), 1e-6)
        except (TypeError, ValueError):
            return 1.0

    @property
    def advancing(self) -> bool:
        """Whether the position currently moves."""
        return (
            self.track is not None
            and not self.paused
            and not self.stuck
            and (self.connected or self.advance_without_voice)
        )

    @property
    def playing(self) -> bool:
        """Lavalink's ``isPlaying``: a track is loaded and the player is not paused."""
        return self.track is not None and not self.paused

    def stop_at(self) -> int:
        """Position (ms) at which the current track ends (length or ``endTime``)."""
        assert self.track is not None
        length = int(self.track["info"]["length"])
        if self.end_time is not None and self.end_time > 0:
            return min(length, self.end_time)
        return length

    def _raw_position(self) -> float:
        pos = self._base
        if self.advancing:
            pos += (self.clock.now() - self._anchor) * 1000.0 * self.clock.speed * self.rate
        return pos

    @property
    def position(self) -> int:
        """Current track position in ms (0 without a track)."""
        if self.track is None:
            return 0
        return int(min(self._raw_position(), self.stop_at()))

    def rebase(self) -> None:
        """Freeze the elapsed time into the base; call before changing speed/state."""
        if self.track is not None:
            self._base = min(self._raw_position(), float(self.stop_at()))
        self._anchor = self.clock.now()

    def seek(self, position: int) -> None:
        """Jump to ``position`` ms."""
        self._base = float(position)
        self._anchor = self.clock.now()

    def real_seconds_until(self, target_ms: int) -> float | None:
        """Real seconds until the position reaches ``target_ms`` (None if not moving)."""
        if not self.advancing:
            return None
        remaining = max(0.0, target_ms - self._raw_position())
        return remaining / (1000.0 * self.clock.speed * self.rate)

    # -- payloads -----------------------------------------------------------------
    def track_json(self) -> dict[str, Any] | None:
        """The current track object with ``info.position`` filled in."""
        if self.track is None:
            return None
        track = copy.deepcopy(self.track)
        track["info"]["position"] = self.position
        return track

    def state(self) -> dict[str, Any]:
        """Player State object ``{time, position, connected, ping}``."""
        return {
            "time": int(time.time() * 1000),
            "position": self.position,
            "connected": self.connected,
            "ping": self.ping if self.connected else -1,
        }

    def to_json(self) -> dict[str, Any]:
        """The full Player object as REST returns it."""
        return {
            "guildId": self.guild_id,
            "track": self.track_json(),
            "volume": self.volume,
            "paused": self.paused,
            "state": self.state(),
            "voice": dict(self.voice),
            "filters": copy.deepcopy(self.filters),
        }

    def tasks(self) -> list[asyncio.Task[None]]:
        """Timers owned by this player."""
        return [t for t in (self.stop_task, self.aux_task, self.update_task) if t is not None]

    def cancel_playback_timers(self) -> None:
        """Cancel end/fault timers (not the playerUpdate loop)."""
        for name in ("stop_task", "aux_task"):
            task = getattr(self, name)
            if task is not None:
                task.cancel()
                setattr(self, name, None)


@dataclass
class Session:
    """A Lavalink session: one websocket (or none while paused) plus its players."""

    id: str
    user_id: str
    client_name: str | None
    ws: web.WebSocketResponse | None = None
    request: web.BaseRequest | None = None
    resuming: bool = False
    timeout: int = 60
    players: dict[str, FakePlayer] = field(default_factory=dict)
    queue: list[dict[str, Any]] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    destroyed: bool = False
    expiry_task: asyncio.Task[None] | None = None
    stats_task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        """Whether a websocket is attached and open."""
        return self.ws is not None and not self.ws.closed
