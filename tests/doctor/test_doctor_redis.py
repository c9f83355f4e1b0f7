"""`python -m bot doctor` with the Redis bus: Redis reachable, PING, version, or the fix."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from tests.redis.conftest import REDIS_HOST, REDIS_PORT, require_redis

from .conftest import Setup
from .test_doctor import free_port

REDIS = f"{REDIS_HOST}:{REDIS_PORT}"


def use_redis(setup: Setup, url: str) -> None:
    """Select the Redis bus (it needs the shard count) with `url`."""
    setup.extra_toml = f'[bus]\nbackend = "redis"\nredis_url = "{url}"\n'
    setup.discord_toml = "shard_count = 1"


@pytest.fixture
async def acl_user() -> AsyncIterator[tuple[str, str]]:
    """A Redis user with a password of its own, removed after the test."""
    require_redis()
    name, password = f"doctor-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    client = Redis.from_url(f"redis://{REDIS}/0")
    await client.acl_setuser(name, enabled=True, passwords=[f"+{password}"], commands=["+@all"])
    try:
        yield name, password
    finally:
        await client.acl_deluser(name)
        await client.aclose()


async def test_the_in_process_bus_needs_no_redis(setup: Setup) -> None:
    """Without the Redis bus there is no Redis line."""
    outcome = await setup.run()

    assert outcome.code == 0, outcome.output
    assert "Redis" not in outcome.output


async def test_a_reachable_redis_passes_with_its_version(setup: Setup) -> None:
    """PING answered: the line names the server and its version."""
    require_redis()
    use_redis(setup, f"redis://{REDIS}/0")

    outcome = await setup.run()

    assert outcome.code == 0, outcome.output
    line = outcome.line(f"Redis ({REDIS}/0)")
    assert line.startswith("✓") and "PING answered in" in line and "Redis 7." in line


async def test_nothing_listening_says_to_start_redis_or_fix_the_url(setup: Setup) -> None:
    """A port without a server: the fix names bus.redis_url."""
    port = free_port()
    use_redis(setup, f"redis://127.0.0.1:{port}/0")

    outcome = await setup.run()

    assert outcome.code == 1
    assert outcome.line(f"Redis (127.0.0.1:{port}/0)").endswith(
        f"nothing listens on 127.0.0.1:{port}/0"
    )
    assert "is Redis running?" in outcome.fix_after("Redis (") and "bus.redis_url" in outcome.output


async def test_a_wrong_password_is_named_without_printing_it(
    setup: Setup, acl_user: tuple[str, str]
) -> None:
    """WRONGPASS: the fix says where the password goes; the password is never printed."""
    name, _password = acl_user
    wrong = "not-the-password-" + uuid.uuid4().hex[:8]
    use_redis(setup, f"redis://{name}:{wrong}@{REDIS}/0")

    outcome = await setup.run()

    assert outcome.code == 1
    assert "Redis refused the password" in outcome.line("Redis (")
    assert "bus.redis_url" in outcome.fix_after("Redis (")
    assert wrong not in outcome.output


async def test_the_right_password_passes(setup: Setup, acl_user: tuple[str, str]) -> None:
    """The same user with its password gets through."""
    name, password = acl_user
    use_redis(setup, f"redis://{name}:{password}@{REDIS}/0")

    outcome = await setup.run()

    assert outcome.line("Redis (").startswith("✓"), outcome.output
    assert password not in outcome.output


async def test_a_database_number_out_of_range_is_named(setup: Setup) -> None:
    """SELECT 99 refused: the fix points at the number at the end of the URL."""
    require_redis()
    use_redis(setup, f"redis://{REDIS}/99")

    outcome = await setup.run()

    assert outcome.code == 1
    assert "database number" in outcome.fix_after("Redis (")
