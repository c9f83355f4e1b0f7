"""Playback engine of the fake Lavalink: sending, events, timers, faults.

A mixin used by :class:`tests.fakes.lavalink.FakeLavalink`.  Event shapes and
order follow Lavalink v4 (``docs/api/websocket.md``) and lavaplayer:

* play over a playing track: ``TrackEndEvent(replaced)`` for the old track,
  ``TrackStartEvent``, then a ``playerUpdate`` - all before the HTTP reply;
* natural end or ``endTime`` reached: ``TrackEndEvent(finished)``;
* stop (``encodedTrack: null``) or player DELETE: ``TrackEndEvent(stopped)``;
* a failing track: ``TrackExceptionEvent`` then ``TrackEndEvent(loadFailed)``;
* a stuck track: ``TrackStuckEvent`` with ``thresholdMs``;
* Discord closing the voice socket: ``WebSocketClosedEvent``.

While a session is paused (socket gone, resuming enabled) events are queued and
replayed on resume; ``playerUpdate`` and ``stats`` are not queued (as Lavalink).
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from .lavalink_catalogue import exception_object
from .lavalink_state import Clock, FakePlayer, SentMessage, Session
from .lavalink_waiters import WaitersMixin

__all__ = ["PlaybackMixin", "TrackFault"]


@dataclass
class TrackFault:
    """A fault attached to a track identifier."""

    kind: str  # "fail" | "stick"
    message: str = ""
    severity: str = "common"
    after_ms: int = 0
    threshold_ms: int = 0


class PlaybackMixin(WaitersMixin):
    """Everything that happens to players after a request changed them."""

    clock: Clock
    player_update_interval: float
    sent_events: list[SentMessage]
    _sessions: dict[str, Session]
    _track_faults: dict[str, TrackFault]
    _tasks: set[asyncio.Task[Any]]

    # -- plumbing -----------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro, name=f"fake-lavalink {name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _send(self, session: Session, payload: dict[str, Any], *, queue: bool = True) -> None:
        """Send one op to a session (queue it while the session is paused)."""
        if session.destroyed:
            return
        async with session.lock:
            ws = session.ws
            if ws is None or ws.closed:
                if queue and session.resuming:
                    session.queue.append(payload)
                return
            msg = SentMessage(payload, seq=self._next_seq(), session_id=session.id)
            try:
                await ws.send_str(json.dumps(payload))
            except (ConnectionError, RuntimeError):
                if queue and session.resuming:
                    session.queue.append(payload)
                return
            self.sent_events.append(msg)
        self._notify()

    async def _event(self, session: Session, player: FakePlayer, type_: str, **fields: Any) -> None:
        payload = {"op": "event", "type": type_, "guildId": player.guild_id, **fields}
        await self._send(session, payload)

    async def _player_update(self, session: Session, player: FakePlayer) -> None:
        payload = {"op": "playerUpdate", "guildId": player.guild_id, "state": player.state()}
        await self._send(session, payload, queue=False)

    # -- timers -------------------------------------------------------------------
    def _reschedule(self, session: Session, player: FakePlayer) -> None:
        """(Re)arm the timer that ends or fails the current track."""
        if player.stop_task is not None:
            player.stop_task.cancel()
            player.stop_task = None
        if player.track is None or (player.track["info"]["isStream"] and player.fail_at is None):
            return
        target = player.stop_at()
        failing = player.fail_at is not None and player.fail_at < target
        if failing:
            assert player.fail_at is not None
            target = player.fail_at
        delay = player.real_seconds_until(target)
        if delay is None:
            return
        player.stop_task = self._spawn(
            self._end_later(session, player, delay, failing), f"end {player.guild_id}"
        )

    async def _end_later(
        self, session: Session, player: FakePlayer, delay: float, failing: bool
    ) -> None:
        await asyncio.sleep(delay)
        player.stop_task = None  # from here on nobody may cancel us mid-send
        if failing:
            await self._fail_now(session, player)
        else:
            await self._end_track(session, player, "finished")

    async def _fail_now(self, session: Session, player: FakePlayer) -> None:
        if player.track is None:
            return
        exc = player.fail_exception or exception_object("Something broke", "fault")
        track = player.track_json()
        assert track is not None
        if player.fail_at is not None:  # the timer may fire a little late
            track["info"]["position"] = player.fail_at
        await self._end_track(session, player, "loadFailed", exception=exc, track=track)

    async def _end_track(
        self,
        session: Session,
        player: FakePlayer,
        reason: str,
        *,
        exception: dict[str, Any] | None = None,
        track: dict[str, Any] | None = None,
    ) -> None:
        """Clear the current track and emit (TrackException +) TrackEnd."""
        if player.track is None:
            return
        player.rebase()
        track = track or player.track_json()
        player.cancel_playback_timers()
        player.track = None
        player.end_time = None
        player.stuck = False
        player.fail_at = None
        player.fail_exception = None
        self._notify()
        if exception is not None:
            await self._event(
                session, player, "TrackExceptionEvent", track=track, exception=exception
            )
        await self._event(session, player, "TrackEndEvent", track=track, reason=reason)

    async def _stuck_later(self, session: Session, player: FakePlayer, threshold_ms: int) -> None:
        await asyncio.sleep(threshold_ms / 1000.0 / self.clock.speed)
        player.aux_task = None
        if player.track is not None:
            await self._event(
                session,
                player,
                "TrackStuckEvent",
                track=player.track_json(),
                thresholdMs=threshold_ms,
            )

    async def _update_loop(self, session: Session, player: FakePlayer) -> None:
        while True:
            await asyncio.sleep(self.player_update_interval)
            if session.destroyed or not player.connected:
                return
            await self._player_update(session, player)

    def _start_update_loop(self, session: Session, player: FakePlayer) -> None:
        if player.update_task is None or player.update_task.done():
            player.update_task = self._spawn(
                self._update_loop(session, player), f"playerUpdate {player.guild_id}"
            )

    # -- operations ---------------------------------------------------------------
    async def _play(
        self,
        session: Session,
        player: FakePlayer,
        track: dict[str, Any],
        *,
        position: int | None,
        end_time: int | None,
        user_data: dict[str, Any] | None,
        paused: bool,
    ) -> None:
        """Start ``track``: end(replaced) -> start -> playerUpdate, then arm faults."""
        if player.track is not None:
            await self._end_track(session, player, "replaced")
        new = copy.deepcopy(track)
        new["info"]["position"] = 0
        new["userData"] = copy.deepcopy(user_data) if user_data is not None else {}
        player.track = new
        player.paused = paused
        player.end_time = end_time
        player.stuck = False
        player.fail_at = None
        player.fail_exception = None
        player.seek(min(position or 0, player.stop_at()))
        fault = self._track_faults.get(new["info"]["identifier"])
        if fault is not None and fault.kind == "stick":
            player.stuck = True
        self._notify()
        await self._event(session, player, "TrackStartEvent", track=player.track_json())
        await self._player_update(session, player)
        if fault is not None and fault.kind == "fail":
            player.fail_exception = exception_object(fault.message, fault.severity)
            if fault.after_ms <= 0:  # loading itself fails: no voice needed
                player.stop_task = self._spawn(
                    self._end_later(session, player, 0.0, True), f"fail {player.guild_id}"
                )
                return
            player.fail_at = fault.after_ms
        elif fault is not None and fault.kind == "stick":
            player.aux_task = self._spawn(
                self._stuck_later(session, player, fault.threshold_ms), f"stuck {player.guild_id}"
            )
        self._reschedule(session, player)

    def _drop_player(self, player: FakePlayer) -> None:
        for task in player.tasks():
            task.cancel()
        player.stop_task = player.aux_task = player.update_task = None

    def _destroy_session(self, session: Session) -> None:
        """Forget a session and its players without sending anything."""
        session.destroyed = True
        self._sessions.pop(session.id, None)
        for player in session.players.values():
            self._drop_player(player)
        session.players.clear()
        session.queue.clear()
        for task in (session.expiry_task, session.stats_task):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self._notify()

    def _all_players(self) -> list[tuple[Session, FakePlayer]]:
        return [(s, p) for s in list(self._sessions.values()) for p in list(s.players.values())]

    def _set_clock_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be > 0")
        pairs = self._all_players()
        for _, player in pairs:
            player.rebase()
        self.clock.speed = float(speed)
        for session, player in pairs:
            self._reschedule(session, player)

    def _players_for(self, guild_id: int | str) -> list[tuple[Session, FakePlayer]]:
        gid = str(guild_id)
        return [(s, p) for s, p in self._all_players() if p.guild_id == gid]

    def _find_player(
        self, guild_id: int | str, session_id: str | None, pred: Callable[[FakePlayer], bool]
    ) -> FakePlayer | None:
        for session, player in self._players_for(guild_id):
            if (session_id is None or session.id == session_id) and pred(player):
                return player
        return None
