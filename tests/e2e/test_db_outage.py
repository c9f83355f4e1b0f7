"""A PostgreSQL outage, made by cutting a proxy between the bot and a real server.

During the outage the commands that need only memory are answered as usual
(settings come from the cache, even expired), `/ready` names the database,
and every write waits in memory; once the proxy forwards again the database
ends up with the latest queue, the plays and the audit entries of the outage.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from loguru import logger
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.db import METRICS, AuditStore, Database, HistoryStore, QueueSnapshot, QueueStore
from tests.db.conftest import drop_postgres_database, open_session_database
from tests.e2e.harness import Harness, harness
from tests.e2e.test_play import embed_text
from tests.fakes.tcp_proxy import TcpProxy

T = TypeVar("T")

GUILD_TTL = 0.3
# A command may take this long at most while the database is gone.
COMMAND_BUDGET = 3.0
RECOVERY_TIMEOUT = 20.0


@pytest.fixture
async def postgres_database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (the bot migrates it), dropped after the test."""
    url = open_session_database()
    yield url
    await drop_postgres_database(url)


@pytest.fixture
async def proxy(postgres_database: str) -> AsyncIterator[TcpProxy]:
    """A cuttable proxy in front of the PostgreSQL server."""
    url = make_url(postgres_database)
    async with TcpProxy(url.port or 5432, url.host or "127.0.0.1") as proxy:
        yield proxy


@pytest.fixture
async def server(postgres_database: str) -> AsyncIterator[Database]:
    """The test's own connection to the database, not through the proxy."""
    database = Database(postgres_database)
    await database.connect()
    yield database
    await database.close()


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """Every loguru message logged during the test, as `LEVEL message`."""
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), format="{level} {message}", level="DEBUG")
    yield lines
    logger.remove(sink)


def bot_overrides(proxy: TcpProxy, url: str) -> dict[str, Any]:
    """Settings sections for a bot whose database is reached through `proxy`."""
    proxied = make_url(url).set(host=proxy.host, port=proxy.port)
    return {
        "database": {"url": SecretStr(proxied.render_as_string(hide_password=False))},
        "cache": {"guild_ttl": GUILD_TTL},
        "limits": {"position_save_interval": 0.05},
        "api": {"enabled": True, "port": 0},
    }


async def eventually(
    probe: Callable[[], Awaitable[T]], check: Callable[[T], bool], timeout: float
) -> T:
    """Poll `probe` until `check` accepts its value; fail with the last value after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r} after {timeout}s")
        await asyncio.sleep(0.05)


async def stored_queue(server: Database, guild_id: int) -> QueueSnapshot | None:
    """The guild's queue as the server has it."""
    return await QueueStore(server).load_snapshot(guild_id)


def titles(snapshot: QueueSnapshot | None) -> list[str]:
    """Titles of a stored queue, current track first."""
    return [t.title for t in snapshot.tracks] if snapshot else []


async def timed_reply(h: Harness, name: str, **options: Any) -> dict[str, Any]:
    """Run a command; it must be answered within `COMMAND_BUDGET` seconds."""
    started = time.monotonic()
    message = await h.reply(name, **options)
    took = time.monotonic() - started
    assert took < COMMAND_BUDGET, f"/{name} took {took:.1f}s during the outage"
    return message


async def readiness(h: Harness) -> tuple[int, dict[str, Any]]:
    """GET /ready on the bot's API server."""
    port = h.bot.get_cog("api").port  # type: ignore[union-attr]
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/ready") as response,
    ):
        return response.status, await response.json()


def metric(name: str, **labels: str) -> float:
    """A sample of the bot's persistence metrics."""
    return METRICS.registry.get_sample_value(name, labels) or 0.0


def pending_writes() -> float:
    """Every write the bot holds in memory for the database."""
    kinds = ("queue", "progress", "history", "audit")
    return sum(metric("db_pending_writes", kind=kind) for kind in kinds)


async def start_three(h: Harness, server: Database) -> None:
    """Alice plays t1..t3 with a guild limit on track length; the queue reaches the server."""
    h.add_tracks(4)
    h.lavalink.add_track(
        title="Long One",
        author="Slow",
        length=600_000,
        identifier="long",
        uri="https://x.test/long",
    )
    assert h.bot.guild_settings is not None
    await h.bot.guild_settings.update(h.world.guild.id, max_track_length_s=300)
    await h.join()
    for i in (1, 2, 3):
        await h.reply("play", query=f"https://example.com/t{i}")
    await h.playing("t1")
    await eventually(
        lambda: stored_queue(server, h.world.guild.id),
        lambda s: titles(s) == ["Track T1", "Track T2", "Track T3"],
        5.0,
    )


async def commands_during_outage(h: Harness) -> None:
    """/queue, /skip, /volume, a refused /play and a /play, all answered as usual."""
    queue = embed_text(await timed_reply(h, "queue"))
    assert "Track T1" in queue and "Track T2" in queue and "Track T3" in queue
    assert "Skipped **Track T1**" in embed_text(await timed_reply(h, "skip"))
    await h.playing("t2")
    since = h.mark()
    assert "Volume set to 55%" in embed_text(await timed_reply(h, "volume", level=55))
    await h.player_patch(lambda body: body.get("volume") == 55, since=since)
    # The guild's own limit (300 s), read from the expired cache entry, still applies.
    refused = await timed_reply(h, "play", query="https://x.test/long")
    assert refused["ephemeral"] and "5:00" in refused["content"]
    queued = await timed_reply(h, "play", query="https://example.com/t4")
    assert "Track T4" in embed_text(queued)


async def everything_written(h: Harness, server: Database) -> None:
    """The latest queue, the plays and the audit entries of the outage are in the database."""
    gid = h.world.guild.id
    snapshot = await eventually(
        lambda: stored_queue(server, gid),
        lambda s: (
            titles(s) == ["Track T2", "Track T3", "Track T4"] and s is not None and s.volume == 55
        ),
        RECOVERY_TIMEOUT,
    )
    assert snapshot is not None and snapshot.current_index == 0
    plays = await eventually(
        lambda: HistoryStore(server).recent(gid),
        lambda p: [t.title for t in p][:2] == ["Track T2", "Track T1"],
        RECOVERY_TIMEOUT,
    )
    assert len(plays) == 2
    # In order, with the refused /play too: the audit log records what was asked.
    actions = ["play"] * 3 + ["skip", "set_volume", "play", "play"]
    await eventually(
        lambda: AuditStore(server).recent(gid),
        lambda entries: [e.action for e in reversed(entries)] == actions,
        RECOVERY_TIMEOUT,
    )
    await eventually(lambda: asyncio.sleep(0, pending_writes()), lambda n: n == 0, RECOVERY_TIMEOUT)


async def test_outage_keeps_commands_working_and_loses_no_write(
    tmp_path: Path,
    proxy: TcpProxy,
    postgres_database: str,
    server: Database,
    log_lines: list[str],
) -> None:
    """Server down (connections refused): commands answered, then every write lands."""
    async with harness(tmp_path, **bot_overrides(proxy, postgres_database)) as h:
        await start_three(h, server)
        status, _ = await readiness(h)
        assert status == 200

        await proxy.cut()
        # Let the guild's cached settings expire: they must be served stale.
        await asyncio.sleep(GUILD_TTL)
        stale_before = metric("cache_stale_served_total", cache="guild_settings")
        await commands_during_outage(h)
        assert metric("cache_stale_served_total", cache="guild_settings") > stale_before
        assert titles(await stored_queue(server, h.world.guild.id))[0] == "Track T1"
        assert metric("db_available") == 0
        await h.bot.bus.drain()  # the audit log has seen every command
        assert metric("db_pending_writes", kind="queue") >= 1
        assert metric("db_pending_writes", kind="audit") >= 4
        status, body = await readiness(h)
        assert status == 503 and body["database"] is False and body["discord"] is True

        await proxy.restore()
        await everything_written(h, server)
        await eventually(lambda: readiness(h), lambda answer: answer[0] == 200, RECOVERY_TIMEOUT)
        assert metric("db_available") == 1

    outage_warnings = [line for line in log_lines if "Database unreachable" in line]
    assert len(outage_warnings) == 1 and outage_warnings[0].startswith("WARNING")
    assert any("Database reachable again" in line for line in log_lines)
    assert not [line for line in log_lines if line.startswith("ERROR")]


async def test_silent_network_never_holds_a_command_for_its_connect_timeout(
    tmp_path: Path, proxy: TcpProxy, postgres_database: str, server: Database
) -> None:
    """Packets swallowed (connects hang until their timeout): commands still answer quickly."""
    async with harness(tmp_path, **bot_overrides(proxy, postgres_database)) as h:
        await start_three(h, server)
        await proxy.cut(hold=True)
        await asyncio.sleep(GUILD_TTL)
        await commands_during_outage(h)
        # The saves hang in connect until its timeout; then the breaker opens.
        await eventually(lambda: asyncio.sleep(0, metric("db_available")), lambda v: v == 0, 10.0)
        assert proxy.held >= 1
        assert "Track T4" in embed_text(await timed_reply(h, "queue"))
        await proxy.restore()
        await everything_written(h, server)
