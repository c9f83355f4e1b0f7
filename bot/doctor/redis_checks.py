"""Redis, when the bus runs over it: reachable with the configured URL, PING answered, version."""

from __future__ import annotations

import asyncio
import socket
import time
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeout

from bot.doctor.causes import causes
from bot.doctor.report import CheckResult
from bot.settings import Settings

__all__ = ["check_redis"]

CONNECT_TIMEOUT = 5.0
OLDEST_RECOMMENDED = (6, 0)
URL_FORMAT = "redis://[user:password@]host:6379/0"


async def check_redis(settings: Settings) -> list[CheckResult]:
    """Connect, PING and read the server version; nothing to check with the in-process bus."""
    if settings.bus.backend != "redis":
        return []
    url = settings.bus.redis_url.get_secret_value()
    where = _where(url)
    name = f"Redis ({where})"
    client = Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=CONNECT_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT + 1):
            started = time.perf_counter()
            await client.ping()  # type: ignore[misc]  # redis types it sync|async
            ping_ms = (time.perf_counter() - started) * 1000
            info = await client.info("server")
    except (RedisError, OSError, TimeoutError) as exc:
        return [_failure(name, where, exc)]
    finally:
        await client.aclose()
    version = str(info.get("redis_version", "unknown"))
    detail = f"PING answered in {ping_ms:.1f} ms, Redis {version}"
    if _older_than(version, OLDEST_RECOMMENDED):
        return [
            CheckResult.warn(
                name,
                detail,
                "Redis 6 or newer is recommended (older servers lack ACL users and RESP3)",
            )
        ]
    return [CheckResult.ok(name, detail)]


def _where(url: str) -> str:
    """Host, port and database number; never the password."""
    split = urlsplit(url)
    if split.scheme == "unix":
        return f"socket {split.path}"
    database = split.path.lstrip("/") or "0"
    return f"{split.hostname}:{split.port or 6379}/{database}"


def _failure(name: str, where: str, exc: BaseException) -> CheckResult:
    for error in causes(exc):
        if isinstance(error, AuthenticationError):
            return CheckResult.fail(
                name,
                "Redis refused the password",
                f"put the right user and password in bus.redis_url ({URL_FORMAT}; "
                "special characters URL-encoded), or none if the server has no password",
            )
        if isinstance(error, ResponseError):
            return CheckResult.fail(
                name,
                f"Redis refused the connection's setup: {error}",
                "check the database number at the end of bus.redis_url (0-15 by default)",
            )
        if isinstance(error, ConnectionRefusedError):
            return CheckResult.fail(
                name,
                f"nothing listens on {where}",
                f"is Redis running? are host and port in bus.redis_url right ({URL_FORMAT})?",
            )
        if isinstance(error, socket.gaierror):
            return CheckResult.fail(
                name,
                "the host in bus.redis_url does not resolve",
                "fix the host in bus.redis_url (with Docker Compose: redis)",
            )
        if isinstance(error, TimeoutError | RedisTimeout):
            return CheckResult.fail(
                name,
                f"no answer from {where} within {CONNECT_TIMEOUT:.0f} s",
                "check host and port in bus.redis_url and that a firewall lets this machine in",
            )
    return CheckResult.fail(
        name,
        f"cannot connect to {where}: {type(exc).__name__}",
        "check bus.redis_url (BOT_BUS__REDIS_URL) and that Redis is running",
    )


def _older_than(version: str, oldest: tuple[int, int]) -> bool:
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) < oldest
