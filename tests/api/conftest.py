"""The real bot with its HTTP server on a free port, two guilds, and an HTTP client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.db.api_keys import ApiKeyStore, IssuedKey, KeyScope
from tests.e2e.harness import GuildWorld, Harness, build_guild, harness

API_ON = {"enabled": True, "port": 0}


@dataclass
class Api:
    """The harness, the second guild, and an HTTP client for the bot's server."""

    h: Harness
    other: GuildWorld
    http: aiohttp.ClientSession

    @property
    def base(self) -> str:
        """`http://127.0.0.1:<port>` of the running bot."""
        return base_url(self.h)

    @property
    def guild_id(self) -> int:
        """Guild A's id."""
        return self.h.world.guild.id

    async def issue(self, scope: str = "control", guild: int | str | None = "A") -> IssuedKey:
        """A new key; `guild` is "A" (default), a guild id, or None for every guild."""
        assert self.h.bot.db is not None
        guild_id = self.guild_id if guild == "A" else guild
        assert guild_id is None or isinstance(guild_id, int)
        return await ApiKeyStore(self.h.bot.db).create(guild_id=guild_id, scope=KeyScope(scope))

    async def key(self, scope: str = "control", guild: int | str | None = "A") -> str:
        """A new key's token."""
        return (await self.issue(scope, guild)).token

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        """One request; returns status, the decoded JSON (or text) and the response."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        async with self.http.request(
            method, self.base + path, json=json, data=data, headers=sent
        ) as response:
            if response.content_type == "application/json":
                body = await response.json()
            else:
                body = await response.text()
            return response.status, body, response

    def player(self, suffix: str = "", guild_id: int | None = None) -> str:
        """`/api/v1/guilds/<guild>/player<suffix>`."""
        return f"/api/v1/guilds/{guild_id or self.guild_id}/player{suffix}"

    def queue(self, suffix: str = "", guild_id: int | None = None) -> str:
        """`/api/v1/guilds/<guild>/queue<suffix>`."""
        return f"/api/v1/guilds/{guild_id or self.guild_id}/queue{suffix}"

    async def start_playing(self, count: int = 3) -> list[str]:
        """Alice joins voice and queues `count` tracks from Discord; the first plays."""
        urls = self.h.add_tracks(count)
        await self.h.join()
        for url in urls:
            await self.h.reply("play", query=url)
        await self.h.playing("t1")
        return urls


def base_url(h: Harness) -> str:
    """Where the harness's bot serves HTTP (the ApiCog's bound port)."""
    # Not isinstance: discord.py re-imports the extension for every bot started.
    port = getattr(h.bot.get_cog("api"), "port", None)
    assert port is not None, "the API cog is not serving"
    return f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, **api: Any) -> AsyncIterator[Api]:
    """The bot serving HTTP on a free port with `api` settings on top, guilds A and B."""
    async with harness(tmp_path, start=False) as h, aiohttp.ClientSession() as http:
        other = build_guild(h.discord, "Guild B")
        await h.start(api={**API_ON, **api})
        yield Api(h, other, http)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    """The bot serving HTTP with default API settings."""
    async with serving(tmp_path) as running:
        yield running
