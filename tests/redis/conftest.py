"""The real Redis on 127.0.0.1:6379, with channels and keys private to each test."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from bot.bus_redis import RedisBus

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
SHARDS = 2


SKIP_REDIS_VARIABLE = "TEST_SKIP_REDIS"


def require_redis() -> None:
    """Return if Redis listens; skip if asked to, else fail saying how to fix it."""
    if os.environ.get(SKIP_REDIS_VARIABLE, "") not in ("", "0"):
        pytest.skip(f"Redis tests skipped: {SKIP_REDIS_VARIABLE} is set")
    with socket.socket() as sock:
        sock.settimeout(0.5)
        if sock.connect_ex((REDIS_HOST, REDIS_PORT)) == 0:
            return
    pytest.fail(
        f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}. Start it "
        f"(`redis-server --daemonize yes`) or set {SKIP_REDIS_VARIABLE}=1 to skip these tests.",
        pytrace=False,
    )


def guild_on(shard: int, n: int = 0, shard_count: int = SHARDS) -> int:
    """A guild id that Discord delivers on `shard` ((id >> 22) % shard_count == shard)."""
    return ((1_000 + n) * shard_count + shard) << 22 | 0x2A


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A channel and key prefix no other test (or parallel run) uses; its keys are removed."""
    require_redis()
    value = f"test:{uuid.uuid4().hex[:12]}:"
    yield value
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{value}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


BusFactory = Callable[..., Awaitable[RedisBus]]


@pytest.fixture
async def make_bus(prefix: str) -> AsyncIterator[BusFactory]:
    """Start RedisBus instances (shard `shard` of 2 by default) on the test's prefix."""
    started: list[RedisBus] = []

    async def make(shard: int = 0, *, url: str = REDIS_URL, **kwargs: object) -> RedisBus:
        kwargs.setdefault("connect_timeout", 0.5)
        bus = RedisBus(url=url, shard_count=SHARDS, shard_ids=[shard], prefix=prefix, **kwargs)
        started.append(bus)
        await bus.start()
        return bus

    yield make
    for bus in started:
        await bus.close(grace=1.0)


def proxy_url(port: int) -> str:
    """Redis through a TcpProxy listening on `port`."""
    return f"redis://{REDIS_HOST}:{port}/0"
