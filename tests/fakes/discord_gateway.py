"""Gateway side of the fake Discord: websocket connections, sessions (sequence numbers and
a replay buffer), IDENTIFY/RESUME, intent-gated dispatch and the fault injections (op 7,
op 9, abrupt drops, close codes). Voice (op 4) and chunking (op 8) are in discord_voice.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .discord_models import random_token

if TYPE_CHECKING:
    from .discord import FakeDiscord
    from .discord_models import Guild

# intents
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_VOICE_STATES = 1 << 7
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
KNOWN_INTENTS = (1 << 26) - 1

FATAL_CLOSE_CODES = {4004, 4010, 4011, 4012, 4013, 4014}


@dataclass
class _Close:
    code: int


class GatewaySession:
    """A gateway session (what RESUME continues): shard, intents, sequence, replay buffer."""

    def __init__(self, fake: FakeDiscord, session_id: str, shard: tuple[int, int] | None,
                 intents: int, identify: dict[str, Any]) -> None:
        self.fake = fake
        self.id = session_id
        self.shard = shard
        self.intents = intents
        self.identify = identify
        self.seq = 0
        self.buffer: deque[dict[str, Any]] = deque(maxlen=5000)
        self.conn: GatewayConnection | None = None
        self.invalid = False

    @property
    def shard_id(self) -> int | None:
        return self.shard[0] if self.shard else None

    def handles_guild(self, guild_id: int) -> bool:
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id

    def dispatch(self, event: str, data: dict[str, Any]) -> int:
        self.seq += 1
        msg = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.buffer.append(msg)
        self.fake.dispatched.append((self.id, event, data))
        if self.conn is not None and self.conn.open:
            self.conn.send(msg)
        return self.seq


@dataclass
class GatewayConnection:
    fake: FakeDiscord
    ws: web.WebSocketResponse
    request: web.Request
    path: str
    query: dict[str, str]
    session: GatewaySession | None = None
    open: bool = True
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    writer: asyncio.Task[None] | None = None
    server_close_code: int | None = None
    client_close_code: int | None = None
    received: list[dict[str, Any]] = field(default_factory=list)

    def send(self, msg: dict[str, Any]) -> None:
        if self.open:
            self.queue.put_nowait(json.dumps(msg))

    def close(self, code: int) -> None:
        if self.open:
            self.server_close_code = code
            self.queue.put_nowait(_Close(code))

    def abort(self) -> None:
        self.open = False
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def run_writer(self) -> None:
        while True:
            item = await self.queue.get()
            if isinstance(item, _Close):
                self.open = False
                with contextlib.suppress(Exception):
                    await self.ws.close(code=item.code)
                return
            try:
                await self.ws.send_str(item)
            except Exception:  # connection went away under us
                self.open = False
                return


class GatewayMixin:
    """Mixed into FakeDiscord."""

    # -- websocket endpoint ------------------------------------------------------------------
    async def _gateway_handler(self: FakeDiscord, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(timeout=2.0, compress=False, max_msg_size=1 << 22)
        await ws.prepare(request)
        conn = GatewayConnection(self, ws, request, request.path, dict(request.query))
        self.connections.append(conn)
        conn.writer = asyncio.create_task(conn.run_writer())
        conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval}, "s": None,
                   "t": None})
        self._pulse()
        try:
            while True:
                msg = await ws.receive()
                if msg.type is WSMsgType.TEXT:
                    await self._gateway_message(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await self._gateway_message(conn, msg.data.decode())
                else:
                    break
                if not conn.open:
                    break
        finally:
            conn.open = False
            conn.client_close_code = ws.close_code
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            if conn.writer is not None and not conn.writer.done():
                # let a pending close frame go out, then stop the writer
                conn.queue.put_nowait(_Close(conn.server_close_code or 1000))
                try:
                    await asyncio.wait_for(conn.writer, 2.0)
                except (TimeoutError, asyncio.CancelledError):
                    conn.writer.cancel()
            self._pulse()
        return ws

    async def _gateway_message(self: FakeDiscord, conn: GatewayConnection, raw: str) -> None:
        try:
            msg = json.loads(raw)
            op = msg["op"]
            data = msg.get("d")
        except (ValueError, KeyError, TypeError):
            self._gateway_error(conn, 4002, "Decode error", raw)
            return
        conn.received.append(msg)
        if op == 1:
            self.heartbeats += 1
            conn.send({"op": 11, "d": None, "s": None, "t": None})
            return
        if op == 2:
            self._identify(conn, data)
            return
        if op == 6:
            self._resume(conn, data)
            return
        if conn.session is None:
            self._gateway_error(conn, 4003, "Not authenticated", msg)
            return
        if op == 3:
            self.presence_updates.append(data)
        elif op == 4:
            self._voice_state_op(conn.session, data)
        elif op == 8:
            self._request_members(conn.session, data)
        else:
            self._gateway_error(conn, 4001, "Unknown opcode", msg)
        self._pulse()

    def _gateway_error(self: FakeDiscord, conn: GatewayConnection, code: int, reason: str,
                       payload: Any) -> None:
        self.gateway_errors.append({"code": code, "reason": reason, "payload": payload})
        if code not in (4004,):
            self.errors.append({"kind": "gateway", "code": code, "message": reason,
                                "payload": payload})
        conn.close(code)
        self._pulse()

    def _check_token(self: FakeDiscord, token: Any) -> bool:
        if not isinstance(token, str):
            return False
        return token.removeprefix("Bot ") == self.token

    # -- identify / resume -------------------------------------------------------------------
    def _identify(self: FakeDiscord, conn: GatewayConnection, d: Any) -> None:
        if not isinstance(d, dict):
            self._gateway_error(conn, 4002, "Decode error", d)
            return
        record = {**d, "token": "<redacted>"}
        if not self._check_token(d.get("token")):
            self.identifies_rejected.append(record)
            self._gateway_error(conn, 4004, "Authentication failed.", record)
            return
        if conn.session is not None:
            self._gateway_error(conn, 4005, "Already authenticated.", record)
            return
        intents = d.get("intents")
        if not isinstance(intents, int) or isinstance(intents, bool) or intents & ~KNOWN_INTENTS:
            self._gateway_error(conn, 4013, "Invalid intent(s).", record)
            return
        if intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            self.identifies_rejected.append(record)
            self._gateway_error(conn, 4014, "Disallowed intent(s).", record)
            return
        if not isinstance(d.get("properties"), dict):
            self._gateway_error(conn, 4002, "Decode error (properties missing)", record)
            return
        shard = d.get("shard")
        if shard is not None:
            ok = (isinstance(shard, list) and len(shard) == 2
                  and all(isinstance(x, int) for x in shard) and 0 <= shard[0] < shard[1])
            if not ok:
                self._gateway_error(conn, 4010, "Invalid shard.", record)
                return
            shard = (shard[0], shard[1])
        session = GatewaySession(self, random_token(16), shard, intents, record)
        self.sessions[session.id] = session
        session.conn = conn
        conn.session = session
        self.identifies.append(record)
        self._forget_earlier_bot_voice(session)
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**self.bot_user.payload(), "verified": True, "mfa_enabled": False,
                     "email": None, "locale": "en-US"},
            "user_settings": {},
            "guilds": [{"id": str(g.id), "unavailable": True}
                       for g in self.guilds.values() if session.handles_guild(g.id)],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "relationships": [],
            "private_channels": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "auth": {},
            "_trace": ["[\"fake-discord\"]"],
        }
        if shard is not None:
            ready["shard"] = list(shard)
        session.dispatch("READY", ready)
        if intents & GUILDS:
            for guild in self.guilds.values():
                if session.handles_guild(guild.id):
                    session.dispatch("GUILD_CREATE", guild.gateway_payload(
                        intents, full_members=self.full_member_list))
        self._pulse()

    def _resume(self: FakeDiscord, conn: GatewayConnection, d: Any) -> None:
        if not isinstance(d, dict):
            self._gateway_error(conn, 4002, "Decode error", d)
            return
        record = {**d, "token": "<redacted>", "path": conn.path}
        if not self._check_token(d.get("token")):
            self._gateway_error(conn, 4004, "Authentication failed.", record)
            return
        session = self.sessions.get(d.get("session_id") or "")
        seq = d.get("seq")
        if (session is None or session.invalid or not isinstance(seq, int)
                or seq > session.seq):
            self.resumes_rejected.append(record)
            conn.send({"op": 9, "d": False, "s": None, "t": None})
            self._pulse()
            return
        if session.conn is not None and session.conn is not conn:
            session.conn.close(4000)
        session.conn = conn
        conn.session = session
        self.resumes.append(record)
        for msg in list(session.buffer):
            if msg["s"] > seq:
                conn.send(msg)
        session.dispatch("RESUMED", {"_trace": ["fake-discord"]})
        self._pulse()

    # -- dispatch helpers --------------------------------------------------------------------
    def _sessions_for(self: FakeDiscord, guild_id: int | None) -> list[GatewaySession]:
        return [s for s in self.sessions.values()
                if not s.invalid and (guild_id is None or s.handles_guild(guild_id))]

    def _dispatch_guild(self: FakeDiscord, guild_id: int, event: str, data: dict[str, Any],
                        intent: int | None = GUILDS, transform: Any = None) -> int:
        n = 0
        for session in self._sessions_for(guild_id):
            if intent is not None and not session.intents & intent:
                continue
            payload = transform(session, data) if transform else data
            session.dispatch(event, payload)
            n += 1
        self._pulse()
        return n

    def _world_changed(self: FakeDiscord, event: str, guild: Guild, data: dict[str, Any],
                       intent: int = GUILDS) -> None:
        if getattr(guild, "_announced", False):
            self._dispatch_guild(guild.id, event, data, intent)

    def _session_for_guild(self: FakeDiscord, guild_id: int) -> GatewaySession:
        sessions = self._sessions_for(guild_id)
        if not sessions:
            raise RuntimeError(f"fake discord: no gateway session handles guild {guild_id}; "
                               "is the bot connected (IDENTIFY done)?")
        return sessions[-1]

    # -- fault injection ---------------------------------------------------------------------
    def _live_conns(self: FakeDiscord, shard_id: int | None) -> list[GatewayConnection]:
        conns = [c for c in self.connections if c.open and c.session is not None]
        if shard_id is not None:
            conns = [c for c in conns if c.session and c.session.shard_id == shard_id]
        if not conns:
            raise RuntimeError("fake discord: no live identified gateway connection")
        return conns

    async def send_reconnect(self: FakeDiscord, shard_id: int | None = None) -> None:
        """Send op 7 RECONNECT; the client should reconnect and RESUME."""
        for conn in self._live_conns(shard_id):
            conn.send({"op": 7, "d": None, "s": None, "t": None})

    async def invalidate_session(self: FakeDiscord, resumable: bool,
                                 shard_id: int | None = None) -> None:
        """Send op 9 INVALID_SESSION. ``resumable=False`` forgets the session, so the client
        must IDENTIFY again (discord.py sleeps 5 s in before_identify_hook first)."""
        for conn in self._live_conns(shard_id):
            conn.send({"op": 9, "d": bool(resumable), "s": None, "t": None})
            if not resumable and conn.session is not None:
                conn.session.invalid = True

    async def drop_gateway(self: FakeDiscord, shard_id: int | None = None) -> None:
        """Abort the TCP connection (no close frame)."""
        for conn in self._live_conns(shard_id):
            conn.abort()
        self._pulse()

    async def close_gateway(self: FakeDiscord, code: int = 1000,
                            shard_id: int | None = None) -> None:
        """Close the gateway websocket with a close code (4004, 4010-4014 are fatal)."""
        for conn in self._live_conns(shard_id):
            conn.close(code)
            if code in (4007, 4009) and conn.session is not None:
                conn.session.invalid = True
