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

from .discord_callbacks import CallbacksMixin
from .discord_commands import CommandsMixin
from .discord_control import ControlMixin
from .discord_gateway import (
    GUILD_MEMBERS,
    GUILD_PRESENCES,
    GUILDS,
    MESSAGE_CONTENT,
    GatewayConnection,
    GatewayMixin,
    GatewaySession,
)
from .discord_handle import Interaction, Response
from .discord_interactions import InteractionMixin
from .discord_messages import MessagesMixin
from .discord_models import (
    DEFAULT_BOT_PERMISSIONS,
    Channel,
    Guild,
    Member,
    P,
    Role,
    Snowflakes,
    User,
    random_token,
)
from .discord_rest import FaultRule, RecordedRequest, RestMixin
from .discord_voice import VoiceMixin
from .discord_waiters import WaitersMixin

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


class FakeDiscord(RestMixin, CommandsMixin, MessagesMixin, GatewayMixin, VoiceMixin,
                  InteractionMixin, CallbacksMixin, WaitersMixin, ControlMixin):
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
        self.voice_update_times: list[float] = []  # time.monotonic() of each, same order
        self.voice_denied: list[dict[str, Any]] = []
        self.lost_joins: dict[int, int] = {}  # guild id -> bot joins left to leave unanswered
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
