"""Two `python -m bot run` processes, shards 0 and 1 of 2, joined by the Redis bus.

One fake Discord (two shards), one fake Lavalink, one SQLite file, and Redis
behind a TcpProxy the test cuts: each process gets only its shard's guilds, a
REST call to process 0 for a guild of shard 1 is run by process 1, and without
Redis process 0 says so while its own guilds keep working.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.db import Database
from bot.db.api_keys import ApiKeyStore, KeyScope
from tests.e2e.harness import GuildWorld, answer, build_guild
from tests.fakes.discord import FakeDiscord
from tests.fakes.lavalink import FakeLavalink
from tests.fakes.tcp_proxy import TcpProxy
from tests.redis.conftest import REDIS_PORT, proxy_url

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "The process for this server is unreachable"


@dataclass
class BotProcess:
    """A bot process and its log, read as it is written."""

    name: str
    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None
    api: str = ""

    def start_reading(self) -> None:
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.lines.append(line.decode(errors="replace"))
            self.changed.set()
        self.changed.set()

    @property
    def log(self) -> str:
        return "".join(self.lines)

    async def wait_log(self, pattern: str, *, since: int = 0, timeout: float = 15.0) -> str:
        """The first log line (from line `since` on) matching the regex `pattern`."""
        async with asyncio.timeout(timeout):
            while True:
                for line in self.lines[since:]:
                    if re.search(pattern, line):
                        return line
                if self.process.returncode is not None and self.reader and self.reader.done():
                    raise AssertionError(f"{self.name} ended before {pattern!r}:\n{self.log}")
                self.changed.clear()
                await self.changed.wait()

    async def stop(self) -> int:
        """SIGTERM, then the exit code (killed after 15 s)."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            code = await self.process.wait()
        if self.reader is not None:
            await self.reader
        return code


async def start_process(name: str, env: dict[str, str], shard: int) -> BotProcess:
    """`python -m bot run` as shard `shard` of 2, its API on a free port."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=ROOT,
        env=env | {"BOT_DISCORD__SHARD_IDS": f"[{shard}]",
                   "BOT_DATA_DIR": env["BOT_DATA_DIR"] + f"/{name}"},
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    bot = BotProcess(name, process)
    bot.start_reading()
    return bot


async def ready(bot: BotProcess) -> None:
    """Lavalink connected, on Redis, and its HTTP server's address known."""
    line = await bot.wait_log(r"HTTP server on http://\S+")
    bot.api = re.search(r"http://\S+", line).group(0)  # type: ignore[union-attr]
    await bot.wait_log("bus: on Redis")
    await bot.wait_log("Lavalink node fake connected")


def two_shard_world(fake: FakeDiscord) -> dict[int, list[GuildWorld]]:
    """Two guilds on each shard, each with a text channel, voice channels and members."""
    worlds: dict[int, list[GuildWorld]] = {0: [], 1: []}
    for shard in (0, 1):
        for n in range(2):
            guild_id = fake.snowflakes.next()
            while (guild_id >> 22) % 2 != shard:
                guild_id = fake.snowflakes.next()
            worlds[shard].append(build_guild(fake, f"Guild {shard}.{n}", guild_id))
    return worlds


async def api_key(database_url: str) -> str:
    """A control key for every guild, in the database both processes share."""
    db = Database(database_url)
    await db.connect()
    try:
        await db.ensure_schema(auto_upgrade=True)
        issued = await ApiKeyStore(db).create(guild_id=None, scope=KeyScope.CONTROL)
    finally:
        await db.close()
    return issued.token


def patch_sessions(lavalink: FakeLavalink, guild_id: int) -> dict[str, str]:
    """The Lavalink session that started a track, and the one that paused, in the guild."""
    found: dict[str, str] = {}
    for request in lavalink.requests:
        if request.method != "PATCH" or not request.path.endswith(f"/players/{guild_id}"):
            continue
        session = request.path.split("/")[3]  # /v4/sessions/<id>/players/<guild>
        body = request.json if isinstance(request.json, dict) else {}
        if "track" in body or "encodedTrack" in body:
            found.setdefault("track", session)
        if body.get("paused") is True:
            found["paused"] = session
    return found


async def call(
    http: aiohttp.ClientSession, bot: BotProcess, method: str, path: str, token: str
) -> tuple[int, Any]:
    async with http.request(
        method, bot.api + path, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        return response.status, await response.json()


async def test_two_processes_split_guilds_and_route_commands(tmp_path: Path, prefix: str) -> None:
    """Each process has its shard's guilds; REST reaches the owner; Redis gone, routing says so."""
    started = time.monotonic()
    async with (
        FakeDiscord(shards=2) as discord_fake,
        FakeLavalink() as lavalink,
        TcpProxy(REDIS_PORT) as redis,
        aiohttp.ClientSession() as http,
    ):
        worlds = two_shard_world(discord_fake)
        url = "https://example.com/song1"
        lavalink.add_track(title="Shared Song", identifier="song1", uri=url)
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
        token = await api_key(database_url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
        env |= {
            "BOT_DISCORD__TOKEN": discord_fake.token,
            "BOT_DISCORD__API_BASE": discord_fake.api_base,
            "BOT_DISCORD__GUILD_READY_TIMEOUT": "0.05",
            "BOT_DISCORD__SHARD_COUNT": "2",
            "BOT_LAVALINK__NODES": json.dumps([lavalink.node_config()]),
            "BOT_DATA_DIR": str(tmp_path),
            "BOT_DATABASE__URL": database_url,
            "BOT_API__PORT": "0",
            "BOT_BUS__BACKEND": "redis",
            "BOT_BUS__REDIS_URL": proxy_url(redis.port),
            "BOT_BUS__CHANNEL_PREFIX": prefix,
        }
        p0 = await start_process("p0", env, shard=0)
        p1 = await start_process("p1", env, shard=1)
        processes = (p0, p1)
        try:
            await asyncio.gather(ready(p0), ready(p1))

            # Each process received only its own shard's guilds.
            for shard, bot in enumerate(processes):
                status, info = await call(http, bot, "GET", "/info", token)
                assert status == 200
                assert info["shards"] == {"count": 2, "ids": [shard]}
                assert info["guilds"] == len(worlds[shard])

            # Music starts in a guild of shard 1, from Discord (so through process 1).
            b = worlds[1][0]
            await discord_fake.join_voice(b.guild, b.alice, b.voice)
            interaction = await discord_fake.slash(
                "play", user=b.alice, guild=b.guild, channel=b.text, options={"query": url}
            )
            assert "Shared Song" in json.dumps(await answer(interaction, timeout=10))
            await lavalink.wait_for_event("TrackStartEvent", guild_id=b.guild.id, timeout=10)

            # Process 0 answers for it: the queue comes from process 1, the pause is done there.
            player = f"/api/v1/guilds/{b.guild.id}/player"
            deadline = time.monotonic() + 5
            while True:  # until process 1's voice move reached process 0's directory
                status, body = await call(http, p0, "GET", player, token)
                if status == 200 and body["voice_channel_id"] == str(b.voice.id):
                    break
                assert time.monotonic() < deadline, (status, body)
                await asyncio.sleep(0.05)
            assert body["track"]["title"] == "Shared Song"
            status, body = await call(http, p0, "POST", player + "/pause", token)
            assert status == 200, body
            assert lavalink.player(b.guild.id)["paused"] is True  # type: ignore[index]
            # Lavalink was told by the process that started the track from Discord: process 1.
            sessions = patch_sessions(lavalink, b.guild.id)
            assert sessions["paused"] == sessions["track"]

            # Redis goes away: cross-process commands fail fast and say why ...
            mark = len(p0.lines)
            await redis.cut()
            await p0.wait_log("lost Redis", since=mark, timeout=5)
            before = time.monotonic()
            status, body = await call(http, p0, "POST", player + "/resume", token)
            assert time.monotonic() - before < 1
            assert status == 503
            assert UNREACHABLE in body["error"]["message"]
            # ... while process 0's own guilds keep working.
            a = worlds[0][0]
            status, body = await call(http, p0, "GET", f"/api/v1/guilds/{a.guild.id}/player", token)
            assert status == 200, body
            assert body["guild_name"] == a.guild.name

            # Redis is back: routing works again.
            mark = len(p0.lines)
            await redis.restore()
            await p0.wait_log("Redis at .* is back", since=mark, timeout=10)
            await p1.wait_log("Redis at .* is back", timeout=10)
            status, body = await call(http, p0, "POST", player + "/resume", token)
            assert status == 200, body
            assert lavalink.player(b.guild.id)["paused"] is False  # type: ignore[index]
        finally:
            codes = [await bot.stop() for bot in processes]
        assert codes == [0, 0], "\n".join(bot.log for bot in processes)
        for bot in processes:
            assert "Traceback" not in bot.log, bot.log
            assert discord_fake.token not in bot.log
    assert time.monotonic() - started < 25
