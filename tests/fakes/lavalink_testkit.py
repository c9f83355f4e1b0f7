"""Small helpers for tests that talk to :class:`~tests.fakes.lavalink.FakeLavalink`.

* :class:`StubDiscordClient` - the few ``discord.Client`` members ``mafic.Node``
  touches (``wait_until_ready``, ``user.id``, ``dispatch``, ``get_guild``,
  ``fetch_guild``), so a real ``mafic.Node`` can connect without Discord.
* :class:`RawLavalinkClient` - a bare aiohttp REST + websocket client.
* :func:`reset_mafic_node_pool` - ``mafic.NodePool`` keeps nodes at class level.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import aiohttp

__all__ = ["RawLavalinkClient", "StubDiscordClient", "reset_mafic_node_pool"]


def reset_mafic_node_pool() -> None:
    """Forget every node/client ``mafic.NodePool`` remembers (class-level state)."""
    from mafic import NodePool

    NodePool._nodes = {}  # type: ignore[misc]
    NodePool._client = None  # type: ignore[misc]


class StubDiscordClient:
    """Just enough of ``discord.Client`` for ``mafic.Node``; records dispatches."""

    def __init__(self, user_id: int = 1_000_000_000_000_001) -> None:
        self.user = SimpleNamespace(id=user_id)
        self.dispatched: list[tuple[str, tuple[Any, ...]]] = []
        self._waiters: list[tuple[str, int, asyncio.Future[None]]] = []

    async def wait_until_ready(self) -> None:
        """mafic awaits this before connecting."""

    def dispatch(self, event: str, *args: Any) -> None:
        """Record an event mafic dispatches (``node_ready``, ``track_end`` ...)."""
        self.dispatched.append((event, args))
        for name, count, fut in self._waiters:
            if name == event and self.count(event) >= count and not fut.done():
                fut.set_result(None)

    def count(self, event: str) -> int:
        """How many times ``event`` was dispatched."""
        return sum(1 for name, _ in self.dispatched if name == event)

    async def wait_for_dispatch(self, event: str, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until ``event`` was dispatched at least ``count`` times."""
        if self.count(event) >= count:
            return
        entry = (event, count, asyncio.get_running_loop().create_future())
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(entry[2], timeout)
        finally:
            self._waiters.remove(entry)

    def get_guild(self, guild_id: int) -> None:
        """No guild cache: mafic then calls :meth:`fetch_guild`."""
        return None

    async def fetch_guild(self, guild_id: int) -> Any:
        """A guild where the bot is in no voice channel (mafic skips the player)."""
        return SimpleNamespace(id=guild_id, me=SimpleNamespace(voice=None))


class RawLavalinkClient:
    """Plain aiohttp client speaking Lavalink v4, for protocol-level tests."""

    def __init__(self, http: aiohttp.ClientSession, url: str, password: str) -> None:
        self.http = http
        self.url = url
        self.password = password
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.session_id: str | None = None
        self.ready: dict[str, Any] | None = None

    async def connect(self, session_id: str | None = None, user_id: str = "1234") -> dict[str, Any]:
        """Open the websocket (resuming ``session_id`` if given); return the ready op."""
        headers = {"Authorization": self.password, "User-Id": user_id, "Client-Name": "raw/1.0"}
        if session_id:
            headers["Session-Id"] = session_id
        self.ws = await self.http.ws_connect(f"{self.url}/v4/websocket", headers=headers)
        self.ready = await self.ws.receive_json(timeout=5)
        self.session_id = self.ready["sessionId"]
        return self.ready

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        """Next websocket op as a dict."""
        assert self.ws is not None
        return await self.ws.receive_json(timeout=timeout)

    async def receive_close(self, timeout: float = 5.0) -> aiohttp.WSMessage:
        """Skip text ops until the socket closes; return the closing message."""
        assert self.ws is not None
        while True:
            msg = await self.ws.receive(timeout=timeout)
            if msg.type is not aiohttp.WSMsgType.TEXT:
                return msg

    async def rest(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: dict[str, str] | None = None,
        password: str | None = None,
    ) -> tuple[int, Any]:
        """One REST call; returns ``(status, parsed JSON or text or None)``."""
        headers = {"Authorization": self.password if password is None else password}
        async with self.http.request(
            method, f"{self.url}{path}", json=json, params=params, headers=headers
        ) as resp:
            if resp.status == 204:
                return resp.status, None
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, await resp.text()

    async def patch_player(
        self, guild_id: int | str, body: dict[str, Any], no_replace: str | None = None
    ) -> tuple[int, Any]:
        """``PATCH /v4/sessions/{sid}/players/{guild}``."""
        params = {"noReplace": no_replace} if no_replace is not None else None
        path = f"/v4/sessions/{self.session_id}/players/{guild_id}"
        return await self.rest("PATCH", path, body, params)

    async def connect_voice(self, guild_id: int | str) -> tuple[int, Any]:
        """Send a full voice state so the player counts as connected."""
        voice = {"token": "tok", "endpoint": "voice.example:443", "sessionId": f"vs{guild_id}"}
        return await self.patch_player(guild_id, {"voice": voice})

    async def close(self) -> None:
        """Close the websocket if open."""
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
