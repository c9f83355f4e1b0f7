"""Lavalink plugins in the fake: SponsorBlock-Plugin and LavaLyrics (a mixin for ``FakeLavalink``).

Built from the plugins' own documentation, not from the bot. Each is off until
``add_plugin("sponsorblock-plugin")`` / ``add_plugin("lavalyrics-plugin")``;
without it its routes answer 404 like a Lavalink that lacks the plugin.

SponsorBlock (topi314/Sponsorblock-Plugin, README "API", and its
``SponsorBlockPlugin.java`` for what the README leaves open):

* ``GET|PUT|DELETE /v4/sessions/{sessionId}/players/{guildId}/sponsorblock/categories``;
  PUT takes a JSON list of category names. PUT and DELETE answer 204 (README);
  GET answers the list, 404 "Guild not found" when none were set. An unknown
  session is 404 "Session not found". The plugin does not check the names.
* Categories belong to a session and guild; destroying the player (DELETE) or
  the session forgets them.
* When a ``youtube`` track starts in a guild with categories, the track's
  segments in those categories (``add_segments``) are announced with a
  ``SegmentsLoaded`` event (only if there are any); when playback reaches a
  segment the player jumps to its end and sends ``SegmentSkipped``. Segment
  objects are ``{category, start, end}`` in milliseconds.

LavaLyrics (topi314/LavaLyrics, README "API"):

* ``GET /v4/sessions/{sessionId}/players/{guildId}/track/lyrics``: 200 with a
  Lyrics object ``{sourceName, provider, text, lines: [{timestamp, duration,
  line, plugin}], plugin}``, 204 when none were found, 404 "Session not found",
  "Player not found" or "No track playing".
* ``GET /v4/lyrics?track=<encoded>``: 200 or 204; 400 for a missing or foreign
  track. The README names the parameter ``track``, the plugin's handler reads
  ``encodedTrack``: both are accepted.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .lavalink_routes import RoutesMixin
from .lavalink_sessions import ApiError
from .lavalink_state import FakePlayer, Session

__all__ = ["PluginState", "PluginsMixin", "Segment"]

SPONSORBLOCK = "sponsorblock"
LAVALYRICS = "lavalyrics"


@dataclass(frozen=True, order=True)
class Segment:
    """A SponsorBlock segment of a track, in milliseconds."""

    start: int
    end: int
    category: str

    def to_json(self) -> dict[str, Any]:
        """The plugin's Segment object."""
        return {"category": self.category, "start": self.start, "end": self.end}


@dataclass
class PluginState:
    """What the plugins keep: segments and lyrics by track, categories by session and guild."""

    segments: dict[str, list[Segment]] = field(default_factory=dict)
    lyrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    categories: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # Per player: the segments of the current track still to skip, and the timer.
    pending: dict[FakePlayer, list[Segment]] = field(default_factory=dict)
    timers: dict[FakePlayer, asyncio.Task[None]] = field(default_factory=dict)


class PluginsMixin(RoutesMixin):
    """SponsorBlock and LavaLyrics routes and behaviour."""

    plugin_state: PluginState

    # -- test API -------------------------------------------------------------------
    def add_segments(self, identifier: str, *segments: tuple[str, int, int]) -> None:
        """SponsorBlock knows these ``(category, start_ms, end_ms)`` segments of a track."""
        found = [Segment(start, end, category) for category, start, end in segments]
        self.plugin_state.segments.setdefault(identifier, []).extend(found)

    def add_lyrics(
        self,
        identifier: str,
        lines: list[str] | None = None,
        *,
        text: str | None = None,
        source_name: str = "youtube",
        provider: str = "Fake Lyrics",
        line_ms: int = 4000,
    ) -> None:
        """LavaLyrics finds these lyrics for a track: timed ``lines`` and/or plain ``text``."""
        self.plugin_state.lyrics[identifier] = {
            "sourceName": source_name,
            "provider": provider,
            "text": text,
            "lines": [
                {"timestamp": i * line_ms, "duration": line_ms, "line": line, "plugin": {}}
                for i, line in enumerate(lines or [])
            ],
            "plugin": {},
        }

    def sponsorblock_categories(self, guild_id: int | str) -> list[str] | None:
        """The categories set for a guild in any live session (None: not set)."""
        for sid in self._sessions:
            found = self.plugin_state.categories.get(sid, {}).get(str(guild_id))
            if found is not None:
                return list(found)
        return None

    # -- routes -----------------------------------------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        super()._add_routes(app)
        categories = "/v4/sessions/{sid}/players/{gid}/sponsorblock/categories"
        app.router.add_get(categories, self._get_categories)
        app.router.add_put(categories, self._put_categories)
        app.router.add_delete(categories, self._delete_categories)
        app.router.add_get("/v4/sessions/{sid}/players/{gid}/track/lyrics", self._player_lyrics)
        app.router.add_get("/v4/lyrics", self._track_lyrics)

    def _require(self, plugin: str) -> None:
        if not self.has_plugin(plugin):
            raise ApiError(404, "Not Found")

    def _session_categories(self, request: web.Request) -> dict[str, list[str]]:
        session = self._session_for(request)
        return self.plugin_state.categories.setdefault(session.id, {})

    async def _get_categories(self, request: web.Request) -> web.Response:
        self._require(SPONSORBLOCK)
        found = self._session_categories(request).get(self._guild(request))
        if found is None:
            raise ApiError(404, "Guild not found")
        return web.json_response(found)

    async def _put_categories(self, request: web.Request) -> web.Response:
        self._require(SPONSORBLOCK)
        by_guild = self._session_categories(request)
        body = await self._body(request)
        if not isinstance(body, list) or not all(isinstance(c, str) for c in body):
            raise ApiError(400, "Body must be a list of categories")
        by_guild[self._guild(request)] = list(dict.fromkeys(body))
        return web.Response(status=204)

    async def _delete_categories(self, request: web.Request) -> web.Response:
        self._require(SPONSORBLOCK)
        session = self._sessions.get(request.match_info["sid"])
        if session is not None:
            self.plugin_state.categories.get(session.id, {}).pop(self._guild(request), None)
        return web.Response(status=204)

    async def _player_lyrics(self, request: web.Request) -> web.Response:
        self._require(LAVALYRICS)
        session = self._session_for(request)
        player = session.players.get(self._guild(request))
        if player is None:
            raise ApiError(404, "Player not found")
        if player.track is None:
            raise ApiError(404, "No track playing")
        return self._lyrics_response(player.track)

    async def _track_lyrics(self, request: web.Request) -> web.Response:
        self._require(LAVALYRICS)
        encoded = request.query.get("track") or request.query.get("encodedTrack")
        if encoded is None:
            raise ApiError(400, "Required parameter 'track' is not present.")
        return self._lyrics_response(self._decode(encoded))

    def _lyrics_response(self, track: dict[str, Any]) -> web.Response:
        lyrics = self.plugin_state.lyrics.get(track["info"]["identifier"])
        if lyrics is None:
            return web.Response(status=204)
        return web.json_response(copy.deepcopy(lyrics))

    # -- player lifecycle: the plugin's listeners ---------------------------------------
    async def _delete_player(self, request: web.Request) -> web.Response:
        session = self._sessions.get(request.match_info["sid"])
        if session is not None:  # onDestroyPlayer: the guild's categories are forgotten
            self.plugin_state.categories.get(session.id, {}).pop(self._guild(request), None)
        return await super()._delete_player(request)

    def _destroy_session(self, session: Session) -> None:
        self.plugin_state.categories.pop(session.id, None)
        super()._destroy_session(session)

    def _drop_player(self, player: FakePlayer) -> None:
        self._forget_segments(player)
        super()._drop_player(player)

    async def _end_track(
        self, session: Session, player: FakePlayer, reason: str, **kw: Any
    ) -> None:
        self._forget_segments(player)
        await super()._end_track(session, player, reason, **kw)

    async def _play(
        self, session: Session, player: FakePlayer, track: dict[str, Any], **kw: Any
    ) -> None:
        await super()._play(session, player, track, **kw)
        if player.track is None or not self.has_plugin(SPONSORBLOCK):
            return
        info = player.track["info"]
        wanted = self.plugin_state.categories.get(session.id, {}).get(player.guild_id)
        if not wanted or info["sourceName"] != "youtube":
            return
        known = self.plugin_state.segments.get(info["identifier"], [])
        segments = sorted(s for s in known if s.category in wanted)
        if not segments:
            return
        self.plugin_state.pending[player] = segments
        await self._event(
            session, player, "SegmentsLoaded", segments=[s.to_json() for s in segments]
        )
        self._arm_segments(session, player)

    def _reschedule(self, session: Session, player: FakePlayer) -> None:
        super()._reschedule(session, player)
        self._arm_segments(session, player)

    # -- skipping -----------------------------------------------------------------------
    def _forget_segments(self, player: FakePlayer) -> None:
        self.plugin_state.pending.pop(player, None)
        timer = self.plugin_state.timers.pop(player, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    def _arm_segments(self, session: Session, player: FakePlayer) -> None:
        """(Re)arm the timer for the next segment ahead of the position."""
        state = self.plugin_state
        timer = state.timers.pop(player, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        pending = state.pending.get(player)
        if not pending or player.track is None:
            return
        position = player.position
        pending[:] = [s for s in pending if s.end > position]
        if not pending:
            return
        segment = pending[0]
        delay = 0.0 if segment.start <= position else player.real_seconds_until(segment.start)
        if delay is None:
            return  # not advancing (paused, no voice): re-armed by the next change
        state.timers[player] = self._spawn(
            self._skip_later(session, player, segment, delay), f"segment {player.guild_id}"
        )

    async def _skip_later(
        self, session: Session, player: FakePlayer, segment: Segment, delay: float
    ) -> None:
        await asyncio.sleep(delay)
        state = self.plugin_state
        if state.timers.get(player) is asyncio.current_task():
            del state.timers[player]
        pending = state.pending.get(player)
        if player.track is None or not pending or pending[0] != segment:
            return
        pending.pop(0)
        player.seek(min(segment.end, player.stop_at()))
        self._reschedule(session, player)
        self._notify()
        await self._event(session, player, "SegmentSkipped", segment=segment.to_json())
        await self._player_update(session, player)
