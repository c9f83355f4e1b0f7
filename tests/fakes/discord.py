"""A protocol-faithful fake Discord (REST /api/v10 + gateway websocket) for tests.

    async with FakeDiscord() as fake:
        guild = fake.add_guild("Test")
        text = guild.add_text_channel("general")
        restore = point_discord_py_at(fake.api_base)
        ...  # run a real discord.py client with token fake.token

See tests/fakes/README.md ("Fake Discord") for the API, and
/work/shared/protocols/discord-gateway.md for the protocol facts it honours.
Standalone: ``python -m tests.fakes.discord --port 8765`` (control API under /_control/).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .discord_gateway import (
    GUILD_MEMBERS,
    GUILD_PRESENCES,
    GUILDS,
    MESSAGE_CONTENT,
    GatewayConnection,
    GatewayMixin,
    GatewaySession,
)
from .discord_interactions import Interaction, InteractionMixin, Response
from .discord_models import (
    DEFAULT_BOT_PERMISSIONS,
    Channel,
    Guild,
    Member,
    P,
    Role,
    Snowflakes,
    User,
    VoiceState,
    random_token,
)
from .discord_rest import FaultRule, RecordedRequest, RestMixin, json_response

__all__ = [
    "Channel",
    "FakeDiscord",
    "Guild",
    "Interaction",
    "Member",
    "P",
    "RecordedRequest",
    "Response",
    "Role",
    "User",
    "point_discord_py_at",
    "restore_discord_py",
]

_ORIGINALS: dict[str, Any] = {}


def point_discord_py_at(api_base: str, gateway_url: str | None = None) -> Callable[[], None]:
    """Point discord.py (process-wide) at a fake: sets ``discord.http.Route.BASE`` and
    ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``. Returns a function restoring the
    previous values (``restore_discord_py()`` restores the import-time originals)."""
    import yarl
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    _ORIGINALS.setdefault("base", Route.BASE)
    _ORIGINALS.setdefault("gateway", DiscordWebSocket.DEFAULT_GATEWAY)
    previous = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    if gateway_url is None:
        url = yarl.URL(api_base)
        gateway_url = str(url.with_scheme("wss" if url.scheme == "https" else "ws")
                          .with_path("/gateway"))
    Route.BASE = api_base.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)

    def restore() -> None:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = previous

    return restore


def restore_discord_py() -> None:
    """Undo every point_discord_py_at() call."""
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    if _ORIGINALS:
        Route.BASE = _ORIGINALS["base"]
        DiscordWebSocket.DEFAULT_GATEWAY = _ORIGINALS["gateway"]


class FakeDiscord(RestMixin, GatewayMixin, InteractionMixin):
    """Fake Discord server. Build the world (add_guild ...) before the bot connects."""

    def __init__(self, *, token: str | None = None, bot_name: str = "FakeBot",
                 bot_id: int | None = None, application_id: int | None = None,
                 heartbeat_interval: int = 41250, shards: int = 1, privileged_intents: int = 0,
                 interaction_deadline: float | None = 3.0, voice_endpoint: str | None = None,
                 full_member_list: bool = False, host: str = "127.0.0.1", port: int = 0) -> None:
        self.snowflakes = Snowflakes()
        self.token = token or f"fake.{random_token(12)}.token"
        self.bot_user = User(bot_id or self.snowflakes.next(), bot_name, bot=True)
        self.application_id = application_id or self.bot_user.id
        self.owner_user = User(self.snowflakes.next(), "app-owner")
        self.heartbeat_interval = heartbeat_interval
        self.shards = shards
        self.privileged_intents = privileged_intents
        self.interaction_deadline = interaction_deadline
        self.voice_endpoint = voice_endpoint
        self.full_member_list = full_member_list
        self.host, self._want_port = host, port
        self.port = 0
        flags = 0
        if privileged_intents & GUILD_PRESENCES:
            flags |= 1 << 13
        if privileged_intents & GUILD_MEMBERS:
            flags |= 1 << 15
        if privileged_intents & MESSAGE_CONTENT:
            flags |= 1 << 19
        self.application_flags = flags
        # world
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, Guild] = {}
        self.synced_commands: dict[int | None, dict[tuple[int, str], dict[str, Any]]] = {}
        self.command_syncs: list[tuple[int | None, Any]] = []
        # messages
        self.messages: dict[int, list[dict[str, Any]]] = {}
        self.ephemeral_messages: dict[int, dict[str, Any]] = {}
        self.message_index: dict[int, dict[str, Any]] = {}
        self.deleted_messages: list[dict[str, Any]] = []
        # REST records
        self.requests: list[RecordedRequest] = []
        self.errors: list[dict[str, Any]] = []
        self.unhandled: list[RecordedRequest] = []
        self.faults: list[FaultRule] = []
        # gateway records
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.identifies: list[dict[str, Any]] = []
        self.identifies_rejected: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.resumes_rejected: list[dict[str, Any]] = []
        self.dispatched: list[tuple[str, str, dict[str, Any]]] = []
        self.gateway_errors: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.presence_updates: list[Any] = []
        self.voice_updates: list[Any] = []  # op 4 payloads as sent by the bot
        self.voice_denied: list[dict[str, Any]] = []
        self.voice_server_updates: list[dict[str, Any]] = []
        self.chunk_requests: list[Any] = []
        # interactions
        self.interactions: dict[int, Interaction] = {}
        self.interactions_by_token: dict[str, Interaction] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._runner: web.AppRunner | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest_entry)
        app.router.add_get("/gateway", self._gateway_handler)
        app.router.add_get("/gateway-resume", self._gateway_handler)
        app.router.add_post("/_control/slash", self._c_slash)
        app.router.add_post("/_control/click", self._c_click)
        app.router.add_post("/_control/voice", self._c_voice)
        app.router.add_get("/_control/requests", self._c_requests)
        app.router.add_get("/_control/errors", self._c_errors)
        app.router.add_get("/_control/world", self._c_world)
        app.router.add_get("/_control/messages/{channel_id}", self._c_messages)
        app.router.add_get("/_control/interactions/{interaction_id}", self._c_interaction)
        app.router.add_route("*", "/{tail:.*}", self._unrouted)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._want_port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for conn in self.connections:
            conn.close(1001)
        writers = [c.writer for c in self.connections if c.writer and not c.writer.done()]
        if writers:
            await asyncio.wait(writers, timeout=3.0)
        for w in writers:
            w.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for fut in self._waiters:
            fut.cancel()
        self._waiters.clear()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway-resume"

    # -- world -------------------------------------------------------------------------------
    def _user(self, name: str, *, user_id: int | None = None, bot: bool = False,
              global_name: str | None = None) -> User:
        uid = user_id or self.snowflakes.next()
        user = self.users.get(uid)
        if user is None:
            user = self.users[uid] = User(uid, name, global_name=global_name, bot=bot)
        return user

    def add_guild(self, name: str, guild_id: int | None = None, *,
                  bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
                  owner: str | None = "owner") -> Guild:
        """Add a guild the bot is in: @everyone role (id == guild id), the bot's managed role
        with ``bot_permissions``, the bot member and (unless owner=None) an owner member."""
        guild = Guild(self, guild_id or self.snowflakes.next(), name)
        role = Role(guild, self.snowflakes.next(), self.bot_user.username, bot_permissions,
                    position=1, managed=True, bot_id=self.bot_user.id)
        guild.roles[role.id] = role
        guild.members[self.bot_user.id] = Member(guild, self.bot_user, [role.id])
        if owner:
            guild.add_member(owner)
        self.guilds[guild.id] = guild
        guild._announced = True  # type: ignore[attr-defined]
        for session in self._sessions_for(guild.id):
            if session.intents & GUILDS:
                # joining a guild after READY: no "unavailable" key (false would mean "became
                # available again after an outage")
                payload = guild.gateway_payload(session.intents,
                                                full_members=self.full_member_list)
                payload.pop("unavailable")
                session.dispatch("GUILD_CREATE", payload)
        self._pulse()
        return guild

    def guild(self, guild_id: int) -> Guild:
        return self.guilds[int(guild_id)]

    def channel(self, channel_id: int) -> Channel | None:
        for guild in self.guilds.values():
            ch = guild.channels.get(int(channel_id))
            if ch is not None:
                return ch
        return None

    def commands(self, guild: Guild | int | None = None) -> list[dict[str, Any]]:
        """Commands synced globally (guild=None) or for a guild."""
        scope = guild.id if isinstance(guild, Guild) else guild
        return list(self.synced_commands.get(scope, {}).values())

    @property
    def intents(self) -> int | None:
        """Intents of the latest IDENTIFY."""
        return self.identifies[-1]["intents"] if self.identifies else None

    def take_errors(self) -> list[dict[str, Any]]:
        """Return and clear the recorded errors (for tests that provoke them on purpose)."""
        errors, self.errors = self.errors, []
        return errors

    def assert_no_errors(self) -> None:
        if self.errors:
            lines = "\n".join(f"  {e}" for e in self.errors)
            raise AssertionError(f"fake discord answered {len(self.errors)} error(s):\n{lines}")

    # -- voice (members) ---------------------------------------------------------------------
    def bot_voice_state(self, guild: Guild | int) -> VoiceState | None:
        g = guild if isinstance(guild, Guild) else self.guilds[int(guild)]
        return g.voice_states.get(self.bot_user.id)

    async def join_voice(self, guild: Guild, member: Member, channel: Channel, *,
                         self_mute: bool = False, self_deaf: bool = False) -> VoiceState:
        """A member joins (or moves to) a voice channel: VOICE_STATE_UPDATE."""
        if not channel.is_voice or channel.guild is not guild:
            raise ValueError(f"fake discord: {channel.name} is not a voice channel of {guild!r}")
        prev = guild.voice_states.get(member.id)
        state = VoiceState(guild.id, member.id, channel.id,
                           prev.session_id if prev else random_token(16),
                           self_mute=self_mute, self_deaf=self_deaf)
        guild.voice_states[member.id] = state
        self._dispatch_voice_state(guild, member, state)
        return state

    move_voice = join_voice

    async def leave_voice(self, guild: Guild, member: Member) -> None:
        prev = guild.voice_states.pop(member.id, None)
        state = VoiceState(guild.id, member.id, None,
                           prev.session_id if prev else random_token(16))
        self._dispatch_voice_state(guild, member, state)

    async def send_voice_server_update(self, guild: Guild, endpoint: str | None = ...,  # type: ignore[assignment]
                                       ) -> None:
        """Dispatch a fresh VOICE_SERVER_UPDATE (voice server moved; endpoint None = wait)."""
        self._voice_server_update(self._session_for_guild(guild.id), guild, endpoint)

    # -- waiting -----------------------------------------------------------------------------
    def _pulse(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def _wait_until(self, ready: Callable[[], Any], timeout: float, what: str) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = ready()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                hint = f"; fake.errors={self.errors[-3:]}" if self.errors else ""
                raise TimeoutError(f"fake discord: timed out after {timeout}s waiting for "
                                   f"{what}{hint}")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, remaining)

    async def wait_for_identify(self, count: int = 1, timeout: float = 5.0) -> dict[str, Any]:
        """Wait until ``count`` IDENTIFYs were accepted; return the count-th."""
        return await self._wait_until(
            lambda: self.identifies[count - 1] if len(self.identifies) >= count else None,
            timeout, f"IDENTIFY #{count}")

    async def wait_for_resume(self, count: int = 1, timeout: float = 5.0) -> dict[str, Any]:
        return await self._wait_until(
            lambda: self.resumes[count - 1] if len(self.resumes) >= count else None,
            timeout, f"RESUME #{count}")

    async def wait_for_request(self, method: str, path_regex: str, timeout: float = 5.0, *,
                               start: int = 0) -> RecordedRequest:
        """Wait for a REST request (answered) whose path relative to /api/v10 matches;
        only requests with index >= ``start`` in ``fake.requests`` count."""
        import re

        rx = re.compile(path_regex)

        def ready() -> RecordedRequest | None:
            for rec in self.requests[start:]:
                if rec.method == method and rx.search(rec.path) and rec.status is not None:
                    return rec
            return None

        return await self._wait_until(ready, timeout, f"{method} {path_regex}")

    async def wait_for_message(self, channel_id: int | Channel,
                               predicate: Callable[[dict[str, Any]], bool] | None = None,
                               timeout: float = 5.0) -> dict[str, Any]:
        """Wait for a (non-ephemeral) message in the channel matching ``predicate``."""
        cid = channel_id.id if isinstance(channel_id, Channel) else int(channel_id)

        def ready() -> dict[str, Any] | None:
            for msg in self.messages.get(cid, []):
                if predicate is None or predicate(msg):
                    return msg
            return None

        return await self._wait_until(ready, timeout, f"message in channel {cid}")

    async def wait_for_voice(self, guild_id: int | Guild, channel_id: int | Channel | None,
                             timeout: float = 5.0) -> VoiceState | bool:
        """Wait until the bot's voice state in the guild is in ``channel_id`` (None: not in
        voice). Returns the VoiceState (or True when waiting for None)."""
        gid = guild_id.id if isinstance(guild_id, Guild) else int(guild_id)
        cid = channel_id.id if isinstance(channel_id, Channel) else channel_id

        def ready() -> VoiceState | bool | None:
            state = self.bot_voice_state(gid)
            if cid is None:
                return True if state is None or state.channel_id is None else None
            return state if state is not None and state.channel_id == int(cid) else None

        return await self._wait_until(ready, timeout, f"bot voice in {cid} (guild {gid})")

    async def wait_for_dispatch(self, event: str, predicate: Callable[[dict[str, Any]], bool]
                                | None = None, timeout: float = 5.0, *,
                                start: int = 0) -> dict[str, Any]:
        """Wait until the fake dispatched ``event`` (index >= start in fake.dispatched)."""

        def ready() -> dict[str, Any] | None:
            for _, ev, data in self.dispatched[start:]:
                if ev == event and (predicate is None or predicate(data)):
                    return data
            return None

        return await self._wait_until(ready, timeout, f"dispatch {event}")

    async def wait_for_connections(self, count: int, timeout: float = 5.0) -> None:
        """Wait until ``count`` gateway connections were opened in total."""
        await self._wait_until(lambda: True if len(self.connections) >= count else None,
                               timeout, f"{count} gateway connections")

    # -- control API (standalone use) --------------------------------------------------------
    async def _unrouted(self, request: web.Request) -> web.Response:
        rec = RecordedRequest(request.method, request.path, dict(request.query), None,
                              dict(request.headers), False, status=404)
        self.unhandled.append(rec)
        return json_response(404, {"message": "404: Not Found", "code": 0})

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError as exc:
            raise web.HTTPBadRequest(text=f"bad JSON: {exc}") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="expected a JSON object")
        return body

    async def _control_result(self, inter: Interaction, body: dict[str, Any]) -> web.Response:
        if body.get("wait", True):
            with contextlib.suppress(TimeoutError, AssertionError):
                await inter.wait_response(float(body.get("timeout", 5.0)))
        return json_response(200, self._interaction_json(inter))

    def _interaction_json(self, inter: Interaction) -> dict[str, Any]:
        return {
            "interaction_id": str(inter.id), "token": inter.token, "type": inter.type,
            "callback_type": inter.callback_type,
            "responses": [{"kind": r.kind, "type": r.type, "data": r.data, "message": r.message}
                          for r in inter.responses],
            "rejected": inter.rejected, "final_message": inter.final_message(),
            "choices": inter.choices,
        }

    async def _c_slash(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        try:
            inter = await self.slash(
                body["name"], user=int(body["user_id"]),
                guild=int(body["guild_id"]) if body.get("guild_id") else None,
                channel=int(body["channel_id"]) if body.get("channel_id") else None,
                options=body.get("options") or {}, subcommand=body.get("subcommand"))
        except (KeyError, LookupError, ValueError, PermissionError, RuntimeError) as exc:
            return json_response(400, {"error": str(exc)})
        return await self._control_result(inter, body)

    async def _c_click(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        try:
            inter = await self.click(int(body["message_id"]), body["custom_id"],
                                     user=int(body["user_id"]), values=body.get("values"))
        except (KeyError, LookupError, ValueError, PermissionError, RuntimeError) as exc:
            return json_response(400, {"error": str(exc)})
        return await self._control_result(inter, body)

    async def _c_voice(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        try:
            guild = self.guilds[int(body["guild_id"])]
            member = guild.members[int(body["user_id"])]
            if body.get("channel_id") is None:
                await self.leave_voice(guild, member)
            else:
                await self.join_voice(guild, member, guild.channels[int(body["channel_id"])])
        except (KeyError, ValueError) as exc:
            return json_response(400, {"error": f"{type(exc).__name__}: {exc}"})
        return json_response(200, {"ok": True})

    async def _c_requests(self, request: web.Request) -> web.Response:
        return json_response(200, [
            {"method": r.method, "path": r.path, "query": r.query, "json": r.json,
             "status": r.status} for r in self.requests])

    async def _c_errors(self, request: web.Request) -> web.Response:
        return json_response(200, self.errors)

    async def _c_messages(self, request: web.Request) -> web.Response:
        return json_response(200, self.messages.get(int(request.match_info["channel_id"]), []))

    async def _c_interaction(self, request: web.Request) -> web.Response:
        inter = self.interactions.get(int(request.match_info["interaction_id"]))
        if inter is None:
            return json_response(404, {"error": "unknown interaction"})
        return json_response(200, self._interaction_json(inter))

    async def _c_world(self, request: web.Request) -> web.Response:
        return json_response(200, self.world())

    def world(self) -> dict[str, Any]:
        return {
            "bot": {"id": str(self.bot_user.id), "name": self.bot_user.username},
            "application_id": str(self.application_id),
            "guilds": [{
                "id": str(g.id), "name": g.name,
                "channels": [{"id": str(c.id), "name": c.name, "type": c.type}
                             for c in g.channels.values()],
                "members": [{"id": str(m.id), "name": m.name} for m in g.members.values()],
            } for g in self.guilds.values()],
            "commands": {str(k): [c["name"] for c in v.values()]
                         for k, v in self.synced_commands.items()},
        }


# -- standalone ------------------------------------------------------------------------------
async def _serve(args: argparse.Namespace) -> None:
    fake = FakeDiscord(token=args.token, host=args.host, port=args.port, shards=args.shards,
                       interaction_deadline=None if args.no_deadline else 3.0)
    guild = fake.add_guild("Fake Guild")
    text = guild.add_text_channel("general")
    voice = guild.add_voice_channel("Music")
    alice = guild.add_member("alice")
    bob = guild.add_member("bob")
    await fake.start()
    lines = [
        f"FAKE_DISCORD_PORT={fake.port}",
        f"BOT_DISCORD__API_BASE={fake.api_base}",
        f"BOT_DISCORD__TOKEN={fake.token}",
        f"BOT_DISCORD__APPLICATION_ID={fake.application_id}",
        f"# gateway: {fake.gateway_url}",
        f"# guild {guild.id} text {text.id} voice {voice.id} members alice={alice.id} "
        f"bob={bob.id}",
        f"# control API: {fake.base_url}/_control/ (see tests/fakes/README.md)",
    ]
    print("\n".join(lines), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await fake.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.discord",
                                     description="Run the fake Discord with a demo guild.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="fake-discord-token")
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--no-deadline", action="store_true",
                        help="do not enforce the 3 s initial-response deadline")
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])


