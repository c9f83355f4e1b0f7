"""REST routes of the fake Lavalink (a mixin for ``FakeLavalink``).

Routes, bodies, status codes and error messages follow Lavalink v4's
``docs/api/rest.md`` and its ``PlayerRestHandler``: unknown session -> 404
"Session not found", unknown player on GET -> 404 "Player not found", DELETE ->
204 always, partial voice state -> 400, ``endTime <= 0`` -> 400, both
``track`` and ``encodedTrack``/``identifier`` -> 400.
"""

from __future__ import annotations

import json
import time
from http import HTTPStatus
from typing import Any

from aiohttp import web

from .lavalink_catalogue import TrackDecodeError, decode_track
from .lavalink_sessions import ApiError, SessionsMixin
from .lavalink_state import FakePlayer, Session

__all__ = ["ApiError", "RoutesMixin", "error_response"]

_MISSING: Any = object()
#: The filters of Lavalink's Filters object that its config can turn off, in the
#: order `/v4/info` lists them.
ALL_FILTERS = (
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
)
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def error_response(status: int, message: str | None, path: str) -> web.Response:
    """Lavalink's error body ``{timestamp, status, error, message, path}``."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body = {
        "timestamp": int(time.time() * 1000),
        "status": status,
        "error": phrase,
        "message": message or phrase,
        "path": path,
    }
    return web.json_response(body, status=status)


def _int(body: dict[str, Any], key: str, lo: int | None = None, hi: int | None = None) -> Any:
    if key not in body:
        return _MISSING
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"'{key}' must be an integer")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ApiError(400, f"'{key}' must be between {lo} and {hi}")
    return value


class RoutesMixin(SessionsMixin):
    """REST handlers."""

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/version", self._version)
        app.router.add_get("/v4/info", self._info)
        app.router.add_get("/v4/stats", self._stats)
        app.router.add_get("/v4/websocket", self._websocket)
        app.router.add_get("/v4/loadtracks", self._loadtracks)
        app.router.add_get("/v4/loadsearch", self._loadsearch)
        app.router.add_get("/v4/decodetrack", self._decodetrack)
        app.router.add_post("/v4/decodetracks", self._decodetracks)
        app.router.add_get("/v4/routeplanner/status", self._routeplanner)
        app.router.add_patch("/v4/sessions/{sid}", self._patch_session)
        app.router.add_get("/v4/sessions/{sid}/players", self._get_players)
        app.router.add_get("/v4/sessions/{sid}/players/{gid}", self._get_player)
        app.router.add_patch("/v4/sessions/{sid}/players/{gid}", self._patch_player)
        app.router.add_delete("/v4/sessions/{sid}/players/{gid}", self._delete_player)

    # -- simple routes --------------------------------------------------------------
    async def _version(self, request: web.Request) -> web.Response:
        return web.Response(text=self.version, content_type="text/plain")

    async def _info(self, request: web.Request) -> web.Response:
        core, _, build = self.version.partition("+")
        core, _, pre = core.partition("-")
        major, minor, patch = (int(x) for x in [*core.split("."), "0", "0"][:3])
        return web.json_response(
            {
                "version": {
                    "semver": self.version,
                    "major": major,
                    "minor": minor,
                    "patch": patch,
                    "preRelease": pre or None,
                    "build": build or None,
                },
                "buildTime": 1_700_000_000_000,
                "git": {"branch": "main", "commit": "fake000", "commitTime": 1_700_000_000_000},
                "jvm": "21.0.2",
                "lavaplayer": "2.2.1",
                "sourceManagers": list(self.source_managers),
                "filters": list(self.filters),
                "plugins": [dict(p) for p in self.plugins],
            }
        )

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats(rest=True))

    async def _routeplanner(self, request: web.Request) -> web.Response:
        return web.Response(status=204)  # no route planner configured

    # -- tracks ---------------------------------------------------------------------
    async def _loadtracks(self, request: web.Request) -> web.Response:
        identifier = request.query.get("identifier")
        if identifier is None:
            raise ApiError(400, "Required parameter 'identifier' is not present.")
        return web.json_response(self.catalogue.load(identifier, self.search_prefixes()))

    async def _loadsearch(self, request: web.Request) -> web.Response:
        # LavaSearch plugin: only routed when the plugin is enabled.
        if not self.has_plugin("lavasearch"):
            raise ApiError(404, "Not Found")
        query = request.query.get("query", "")
        prefix, _, text = query.partition(":")
        source = self.search_prefixes().get(prefix.lower())
        tracks = self.catalogue.search(text, source) if source else []
        if not tracks:
            return web.Response(status=204)
        return web.json_response(
            {
                "tracks": tracks,
                "albums": [],
                "artists": [],
                "playlists": [],
                "texts": [],
                "plugin": {},
            }
        )

    def _decode(self, encoded: Any) -> dict[str, Any]:
        if not isinstance(encoded, str):
            raise ApiError(400, "Encoded track must be a string")
        try:
            return decode_track(encoded)
        except TrackDecodeError as exc:
            raise ApiError(400, str(exc)) from None

    async def _decodetrack(self, request: web.Request) -> web.Response:
        encoded = request.query.get("encodedTrack") or request.query.get("track")
        if encoded is None:
            raise ApiError(400, "No track to decode provided")
        return web.json_response(self._decode(encoded))

    async def _decodetracks(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if not isinstance(body, list) or not body:
            raise ApiError(400, "No tracks to decode provided")
        return web.json_response([self._decode(e) for e in body])

    # -- sessions -------------------------------------------------------------------
    def _session_for(self, request: web.Request) -> Session:
        session = self._sessions.get(request.match_info["sid"])
        if session is None:
            raise ApiError(404, "Session not found")
        return session

    @staticmethod
    async def _body(request: web.Request) -> Any:
        raw = await request.read()  # cached by aiohttp: the middleware read it first
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise ApiError(400, "Malformed JSON body") from None

    async def _patch_session(self, request: web.Request) -> web.Response:
        session = self._session_for(request)
        body = await self._body(request) or {}
        if not isinstance(body, dict):
            raise ApiError(400, "Body must be an object")
        if "resuming" in body:
            if not isinstance(body["resuming"], bool):
                raise ApiError(400, "'resuming' must be a boolean")
            session.resuming = body["resuming"]
        timeout = _int(body, "timeout", 0)
        if timeout is not _MISSING:
            session.timeout = timeout
        return web.json_response({"resuming": session.resuming, "timeout": session.timeout})

    async def _get_players(self, request: web.Request) -> web.Response:
        session = self._session_for(request)
        return web.json_response([p.to_json() for p in session.players.values()])

    @staticmethod
    def _guild(request: web.Request) -> str:
        gid = request.match_info["gid"]
        if not gid.isdigit():
            raise ApiError(400, f"Invalid guild id: {gid}")
        return str(int(gid))

    async def _get_player(self, request: web.Request) -> web.Response:
        session = self._session_for(request)
        player = session.players.get(self._guild(request))
        if player is None:
            raise ApiError(404, "Player not found")
        return web.json_response(player.to_json())

    async def _delete_player(self, request: web.Request) -> web.Response:
        session = self._session_for(request)
        player = session.players.get(self._guild(request))
        if player is not None:
            await self._end_track(session, player, "stopped")
            session.players.pop(player.guild_id, None)
            self._drop_player(player)
            self._notify()
        return web.Response(status=204)

    def _resolve_identifier(self, identifier: Any) -> dict[str, Any]:
        if not isinstance(identifier, str):
            raise ApiError(400, "'identifier' must be a string")
        result = self.catalogue.load(identifier, self.search_prefixes())
        kind = result["loadType"]
        if kind == "track":
            return result["data"]
        if kind in ("playlist", "search"):
            raise ApiError(400, "Cannot play a playlist or search result")
        if kind == "empty":
            raise ApiError(400, "No matches found for identifier")
        raise ApiError(500, result["data"]["message"])

    async def _patch_player(self, request: web.Request) -> web.Response:
        session = self._session_for(request)
        gid = self._guild(request)
        raw_nr = request.query.get("noReplace", "false").lower()
        if raw_nr not in _TRUE | _FALSE:
            raise ApiError(400, f"Invalid boolean for noReplace: {raw_nr}")
        no_replace = raw_nr in _TRUE
        body = await self._body(request)
        if not isinstance(body, dict):
            raise ApiError(400, "Body must be an object")

        # -- validate everything before touching state
        if "track" in body and ("encodedTrack" in body or "identifier" in body):
            raise ApiError(400, "Cannot specify both track and encodedTrack/identifier")
        if "track" in body:
            spec = body["track"]
            if not isinstance(spec, dict):
                raise ApiError(400, "'track' must be an object")
        else:
            spec = {"encoded": body["encodedTrack"]} if "encodedTrack" in body else {}
            if "identifier" in body:
                spec["identifier"] = body["identifier"]
        if "encoded" in spec and "identifier" in spec:
            raise ApiError(400, "Cannot specify both encodedTrack and identifier")
        user_data = spec.get("userData", _MISSING)
        if user_data is not _MISSING and not isinstance(user_data, dict):
            raise ApiError(400, "'userData' must be an object")
        volume = _int(body, "volume", 0, 1000)
        position = _int(body, "position", 0)
        end_time = body.get("endTime", _MISSING)
        if end_time is not _MISSING and end_time is not None:
            end_time = _int(body, "endTime")
            if end_time <= 0:
                raise ApiError(400, "End time must be greater than 0")
        paused = body.get("paused", _MISSING)
        if paused is not _MISSING and not isinstance(paused, bool):
            raise ApiError(400, "'paused' must be a boolean")
        filters = body.get("filters", _MISSING)
        if filters is not _MISSING and not isinstance(filters, dict):
            raise ApiError(400, "'filters' must be an object")
        if filters is not _MISSING:
            # Lavalink refuses filters turned off in its config (the ones /v4/info leaves out).
            off = [f for f in filters if f in ALL_FILTERS and f not in self.filters]
            if off:
                names = ", ".join(off)
                raise ApiError(400, f"Following filters are disabled in the config: {names}")
        voice = body.get("voice", _MISSING)
        voice_keys = ("token", "endpoint", "sessionId")
        if voice is not _MISSING and not (
            isinstance(voice, dict)
            and all(isinstance(voice.get(k), str) and voice[k] for k in voice_keys)
        ):
            raise ApiError(400, f"Partial Lavalink voice state: {voice}")
        new_track: Any = _MISSING
        if "encoded" in spec:
            new_track = None if spec["encoded"] is None else self._decode(spec["encoded"])
        elif "identifier" in spec:
            new_track = self._resolve_identifier(spec["identifier"])
        playing_new = new_track is not _MISSING

        # -- apply, in Lavalink's order
        player = session.players.get(gid)
        if player is None:
            player = FakePlayer(gid, self.clock, advance_without_voice=self.advance_without_voice)
            session.players[gid] = player
        player.rebase()
        voice_connected = False
        if voice is not _MISSING:
            new_voice = {k: voice[k] for k in ("token", "endpoint", "sessionId")}
            if not player.connected or new_voice != player.voice:
                player.voice = new_voice
                player.connected = voice_connected = True
        if paused is not _MISSING and not playing_new:
            player.paused = paused
        if user_data is not _MISSING and not playing_new and player.track is not None:
            player.track["userData"] = user_data
        if volume is not _MISSING:
            player.volume = volume
        seeked = False
        if position is not _MISSING and not playing_new and player.track is not None:
            player.seek(min(position, player.stop_at()))
            seeked = True
        if end_time is not _MISSING and not playing_new and player.track is not None:
            player.end_time = end_time
        if filters is not _MISSING:
            player.filters = filters
        self._reschedule(session, player)
        self._notify()
        if voice_connected:
            self._start_update_loop(session, player)
            await self._player_update(session, player)
        if seeked or filters is not _MISSING:
            await self._player_update(session, player)
        if playing_new and not (no_replace and player.track is not None):
            if new_track is None:
                await self._end_track(session, player, "stopped")
            else:
                await self._play(
                    session,
                    player,
                    new_track,
                    position=None if position is _MISSING else position,
                    end_time=None if end_time is _MISSING else end_time,
                    user_data=None if user_data is _MISSING else user_data,
                    paused=False if paused is _MISSING else paused,
                )
        self._notify()
        return web.json_response(player.to_json())
