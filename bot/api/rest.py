"""The REST API under `/api/v1`: read a guild's player and queue, and control playback.

Every action becomes the same `discord-bot:commands` message as the slash
command (`origin="api"`), so validation, results and errors are the audio
side's. The API has no member in voice: it acts as if it were in the bot's
own voice channel, and refuses (409) when the bot is in none.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot import audio_commands as ac
from bot.api import serialize
from bot.api.auth import LIMITER, RATE_WINDOW_S, authenticate, check_guild
from bot.api.bodies import (
    MAX_POSITION,
    Body,
    LoopBody,
    MoveBody,
    PlayBody,
    SeekBody,
    SkipBody,
    VolumeBody,
    read_body,
)
from bot.api.errors import ApiError, bad_request, invalid
from bot.api.middleware import PORT
from bot.api.port import GuildRef
from bot.db.api_keys import KeyScope
from bot.music.permissions import API_CONTROL_RIGHTS
from bot.music.queue import LoopMode
from bot.music.timefmt import parse_seek
from bot.rate_limit import SlidingWindowLimiter

PREFIX = "/api/v1"
MAX_SNOWFLAKE = 2**63 - 1
MAX_PAGE = 1000
KEY_ID = web.RequestKey("api_key_id", int)
"""The authenticated key's id, kept on the request."""
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,128}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Operation:
    """One API operation: its route, its handler and what the OpenAPI document says of it."""

    method: str
    path: str
    handler: Handler
    operation_id: str
    summary: str
    scope: KeyScope
    response: str
    body: type[Body] | None = None
    guild: bool = True
    voice: bool = False
    query: tuple[dict[str, Any], ...] = field(default_factory=tuple)


# -- helpers --------------------------------------------------------------------


def _int_param(request: web.Request, name: str, maximum: int) -> int:
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 20 or not 0 < int(raw) <= maximum:
        raise bad_request(f"{name} must be a positive whole number.")
    return int(raw)


async def _guild(request: web.Request, scope: KeyScope) -> GuildRef:
    """Authenticate, then the path's guild, which the key must be for and the bot must be in."""
    key = await authenticate(request, scope)
    request[KEY_ID] = key.id
    guild_id = _int_param(request, "guild_id", MAX_SNOWFLAKE)
    check_guild(key, guild_id)
    guild = request.app[PORT].guild(guild_id)
    if guild is None:
        raise ApiError(404, "guild_not_found", "I'm not in that server.")
    return guild


async def _send(
    request: web.Request, guild: GuildRef, cls: type[ac.VoiceCommand], **fields: Any
) -> Any:
    """Send a voice-bound command as if from the bot's own voice channel, with a DJ's rights."""
    if guild.voice_channel_id is None:
        raise ApiError(
            409,
            "not_in_voice",
            "I'm not in a voice channel in this server: start playback from Discord first.",
        )
    port = request.app[PORT]
    command = cls(
        guild_id=guild.id,
        user_id=port.actor_id,
        voice_channel_id=guild.voice_channel_id,
        rights=API_CONTROL_RIGHTS,
        origin="api",
        command_id=_command_id(request, cls, fields),
        **fields,
    )
    return await port.ask(command)


def _command_id(request: web.Request, cls: type, fields: dict[str, Any]) -> str | None:
    """The `Idempotency-Key` header as a command id: the same request again (same API key,
    action and fields) gets the first answer instead of running twice."""
    raw = request.headers.get(IDEMPOTENCY_HEADER)
    if raw is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(raw):
        raise invalid(f"{IDEMPOTENCY_HEADER}: 1 to 128 visible ASCII characters.")
    request_digest = hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()[:16]
    return f"api:{request[KEY_ID]}:{cls.__name__}:{request_digest}:{raw}"


def _done(result: ac.Done) -> web.Response:
    return web.json_response({"message": result.message})


# -- reading --------------------------------------------------------------------


async def list_players(request: web.Request) -> web.Response:
    """Every guild with a player that the key may see."""
    key = await authenticate(request, KeyScope.READ)
    port = request.app[PORT]
    now = port.board.clock()
    players = []
    for guild_id, entry in port.board.entries():
        guild = port.guild(guild_id)
        if guild is not None and key.allows_guild(guild_id):
            players.append(serialize.board_player_json(guild, entry, now))
    return web.json_response({"players": players})


async def get_player(request: web.Request) -> web.Response:
    """A guild's player and a page of its queue."""
    guild = await _guild(request, KeyScope.READ)
    raw_page = request.query.get("page", "1")
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_PAGE:
        raise invalid(f"page: must be a whole number from 1 to {MAX_PAGE}")
    port = request.app[PORT]
    page: ac.QueuePage = await port.ask(
        ac.ShowQueue(guild_id=guild.id, user_id=port.actor_id, page=int(raw_page), origin="api")
    )
    body = serialize.player_json(guild, page.now, page.now.position_ms)
    body["queue"] = serialize.queue_json(page)
    return web.json_response(body)


# -- controlling ----------------------------------------------------------------


async def play(request: web.Request) -> web.Response:
    """Queue a link or search; start playing if idle."""
    guild = await _guild(request, KeyScope.CONTROL)
    body = await read_body(request, PlayBody)
    result: ac.PlayResult = await _send(
        request, guild, ac.Play, query=body.query, next_up=body.next_up
    )
    return web.json_response(serialize.play_json(result))


async def pause(request: web.Request) -> web.Response:
    """Pause."""
    guild = await _guild(request, KeyScope.CONTROL)
    return _done(await _send(request, guild, ac.Pause))


async def resume(request: web.Request) -> web.Response:
    """Resume."""
    guild = await _guild(request, KeyScope.CONTROL)
    return _done(await _send(request, guild, ac.Resume))


async def skip(request: web.Request) -> web.Response:
    """Skip, or jump to an upcoming position."""
    guild = await _guild(request, KeyScope.CONTROL)
    body = await read_body(request, SkipBody)
    return _done(await _send(request, guild, ac.Skip, to=body.to))


async def seek(request: web.Request) -> web.Response:
    """Jump within the track."""
    guild = await _guild(request, KeyScope.CONTROL)
    body = await read_body(request, SeekBody)
    return _done(await _send(request, guild, ac.Seek, target=parse_seek(body.position)))


async def volume(request: web.Request) -> web.Response:
    """Set the volume."""
    guild = await _guild(request, KeyScope.CONTROL)
    body = await read_body(request, VolumeBody)
    return _done(await _send(request, guild, ac.SetVolume, level=body.level))


async def loop(request: web.Request) -> web.Response:
    """Set the loop mode."""
    guild = await _guild(request, KeyScope.CONTROL)
    body = await read_body(request, LoopBody)
    return _done(await _send(request, guild, ac.SetLoop, mode=LoopMode(body.mode)))


async def remove(request: web.Request) -> web.Response:
    """Remove the upcoming track at a position."""
    guild = await _guild(request, KeyScope.CONTROL)
    position = _int_param(request, "position", MAX_POSITION)
    return _done(await _send(request, guild, ac.Remove, position=position))


async def move(request: web.Request) -> web.Response:
    """Move an upcoming track."""
    guild = await _guild(request, KeyScope.CONTROL)
    body = await read_body(request, MoveBody)
    return _done(await _send(request, guild, ac.Move, source=body.source, target=body.target))


async def clear(request: web.Request) -> web.Response:
    """Remove every upcoming track."""
    guild = await _guild(request, KeyScope.CONTROL)
    return _done(await _send(request, guild, ac.Clear))


# -- the table ------------------------------------------------------------------

_G = "/guilds/{guild_id}"
_PAGE = {
    "name": "page",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
}
C, R = KeyScope.CONTROL, KeyScope.READ

OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/players", list_players, "listPlayers", "Players the key can see",
              R, "PlayerList", guild=False),
    Operation("GET", f"{_G}/player", get_player, "getPlayer", "A guild's player and queue",
              R, "PlayerDetail", query=(_PAGE,)),
    Operation("POST", f"{_G}/player/play", play, "play", "Play a link or search",
              C, "PlayResult", body=PlayBody, voice=True),
    Operation("POST", f"{_G}/player/pause", pause, "pause", "Pause", C, "Done", voice=True),
    Operation("POST", f"{_G}/player/resume", resume, "resume", "Resume", C, "Done", voice=True),
    Operation("POST", f"{_G}/player/skip", skip, "skip", "Skip or jump ahead",
              C, "Done", body=SkipBody, voice=True),
    Operation("POST", f"{_G}/player/seek", seek, "seek", "Jump within the track",
              C, "Done", body=SeekBody, voice=True),
    Operation("POST", f"{_G}/player/volume", volume, "setVolume", "Set the volume",
              C, "Done", body=VolumeBody, voice=True),
    Operation("POST", f"{_G}/player/loop", loop, "setLoop", "Set the loop mode",
              C, "Done", body=LoopBody, voice=True),
    Operation("POST", f"{_G}/queue", play, "queueAdd", "Add a link or search to the queue",
              C, "PlayResult", body=PlayBody, voice=True),
    Operation("DELETE", f"{_G}/queue", clear, "queueClear", "Remove every upcoming track",
              C, "Done", voice=True),
    Operation("DELETE", f"{_G}/queue/{{position}}", remove, "queueRemove",
              "Remove the upcoming track at a position", C, "Done", voice=True),
    Operation("POST", f"{_G}/queue/move", move, "queueMove", "Move an upcoming track",
              C, "Done", body=MoveBody, voice=True),
)  # fmt: skip


async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3 document of this API."""
    from bot.api.openapi import document

    return web.json_response(document(OPERATIONS, request.app[PORT].settings))


def add_routes(app: web.Application) -> None:
    """Register every operation and the OpenAPI document."""
    app[LIMITER] = SlidingWindowLimiter(window=RATE_WINDOW_S)
    for op in OPERATIONS:
        app.router.add_route(op.method, PREFIX + op.path, op.handler, name=op.operation_id)
    app.router.add_get(f"{PREFIX}/openapi.json", openapi, name="openapi")
