"""The shared Redis layer of the caches, between each process's memory and the database.

With the Redis bus several processes serve one bot, and a setting changed
through one must be seen by all. Reads go memory → Redis → database
(cache-aside): a value loaded from the database is stored in Redis for `ttl`
seconds with `SET NX`, so a load never overwrites a newer value a writer put
there meanwhile. Writes go to the database first; then the writer replaces the
Redis value and publishes the key on `<prefix>discord-bot:cache:invalidate`,
and every other process drops its memory entry when the message arrives, so its
next read finds the new value in Redis.

Redis is an optimisation, never a dependency: while it cannot be reached,
reads go straight to the database (`cache_shared_total{result="unavailable"}`
or `"error"`), users see nothing of it, and the keys written meanwhile are
invalidated once the subscription is back. Reconnecting also drops every
memory entry, as invalidations may have been missed while away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from loguru import logger
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.bus_codec import CodecError, dumps, loads
from bot.db.metrics import METRICS, PersistenceMetrics
from bot.redis_subscription import HEARTBEAT_S, REDIS_DOWN, listen

__all__ = ["INVALIDATE_CHANNEL", "SharedCache"]

INVALIDATE_CHANNEL = "discord-bot:cache:invalidate"
KEY_PREFIX = "discord-bot:cache"
MAX_UNSENT = 10_000

T = TypeVar("T")


@dataclass(frozen=True)
class _Cache:
    """A memory cache fed by this layer: how to drop one of its keys, or all of them."""

    drop: Callable[[str], None]
    drop_all: Callable[[], None]


class SharedCache:
    """Values in Redis shared by every process, and the invalidations that keep memory honest."""

    def __init__(
        self,
        *,
        url: str,
        prefix: str = "",
        ttl: float = 300.0,
        connect_timeout: float = 0.5,
        timeout: float = 0.5,
        heartbeat: float = HEARTBEAT_S,
        metrics: PersistenceMetrics = METRICS,
    ) -> None:
        self.prefix = prefix
        self.ttl_ms = max(1, int(ttl * 1000))
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.heartbeat = heartbeat
        self.channel = f"{prefix}{INVALIDATE_CHANNEL}"
        self.process_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._metrics = metrics
        self._redis = Redis.from_url(
            url,
            socket_connect_timeout=connect_timeout,
            socket_timeout=timeout,
            # A read falls back to the database at once rather than retrying.
            retry=Retry(NoBackoff(), 0),
        )
        self._caches: dict[str, list[_Cache]] = {}
        self._unsent: set[tuple[str, str]] = set()
        self._connected = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def connected(self) -> bool:
        """Subscribed to the invalidations right now (only then is Redis read)."""
        return self._connected.is_set()

    def key(self, cache: str, key: str) -> str:
        """The Redis key of one cached value."""
        return f"{self.prefix}{KEY_PREFIX}:{cache}:{key}"

    def register(
        self, cache: str, *, drop: Callable[[str], None], drop_all: Callable[[], None]
    ) -> None:
        """Tell a memory cache named `cache` when another process changes one of its keys."""
        self._caches.setdefault(cache, []).append(_Cache(drop, drop_all))

    # -- reading and writing -------------------------------------------------------

    async def load(self, cache: str, key: str, loader: Callable[[], Awaitable[T]]) -> T:
        """The value in Redis, or the one `loader` reads from the database (then kept in Redis)."""
        if not self.connected:
            self._count(cache, "unavailable")
            return await loader()
        redis_key = self.key(cache, key)
        try:
            async with asyncio.timeout(self.timeout):
                raw = await self._redis.get(redis_key)
        except REDIS_DOWN as exc:
            self._failed(cache, "read", exc)
            return await loader()
        if raw is not None:
            try:
                value: T = loads(raw)
            except CodecError as exc:
                logger.warning("shared cache: unreadable value at {} ({})", redis_key, exc)
            else:
                self._count(cache, "hit")
                return value
        self._count(cache, "miss")
        value = await loader()
        try:
            async with asyncio.timeout(self.timeout):
                await self._redis.set(redis_key, dumps(value), px=self.ttl_ms, nx=True)
        except REDIS_DOWN as exc:
            self._failed(cache, "fill", exc)
        return value

    async def written(self, cache: str, key: str, value: Any) -> None:
        """A value just written to the database: replace it in Redis and tell the others."""
        if not self.connected:
            self._remember(cache, key)
            return
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(self.key(cache, key), dumps(value), px=self.ttl_ms)
        pipe.publish(self.channel, self._announcement(cache, key))
        try:
            async with asyncio.timeout(self.timeout):
                await pipe.execute()
        except REDIS_DOWN as exc:
            self._failed(cache, "write", exc)
            self._remember(cache, key)
        else:
            self._metrics.cache_invalidations.labels(cache, "sent").inc()

    def _announcement(self, cache: str, key: str) -> str:
        return json.dumps({"cache": cache, "key": key, "from": self.process_id})

    def _remember(self, cache: str, key: str) -> None:
        self._metrics.cache_invalidations.labels(cache, "failed").inc()
        if len(self._unsent) < MAX_UNSENT:
            self._unsent.add((cache, key))
        else:
            logger.warning("shared cache: too many unsent invalidations; {}:{} dropped", cache, key)

    async def _send_unsent(self) -> None:
        """Invalidate in Redis and in every process the keys written while Redis was away."""
        unsent, self._unsent = self._unsent, set()
        if not unsent:
            return
        pipe = self._redis.pipeline(transaction=False)
        for cache, key in unsent:
            pipe.delete(self.key(cache, key))
            pipe.publish(self.channel, self._announcement(cache, key))
        try:
            async with asyncio.timeout(self.timeout * 2):
                await pipe.execute()
        except REDIS_DOWN as exc:
            logger.warning("shared cache: could not send {} invalidations: {}", len(unsent), exc)
            self._unsent |= unsent
            return
        for cache, _key in unsent:
            self._metrics.cache_invalidations.labels(cache, "sent").inc()
        logger.info("shared cache: sent {} invalidations held while Redis was away", len(unsent))

    def _count(self, cache: str, result: str) -> None:
        self._metrics.cache_shared.labels(cache, result).inc()

    def _failed(self, cache: str, operation: str, exc: BaseException) -> None:
        self._count(cache, "error")
        logger.debug(
            "shared cache: Redis {} failed for {} ({}); using the database",
            operation,
            cache,
            exc or type(exc).__name__,
        )

    # -- the subscription ------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe in the background (reconnecting for ever); wait briefly for Redis."""
        if self._listener is not None:
            return
        self._listener = asyncio.create_task(self._listen(), name="cache:redis")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), self.connect_timeout * 2)

    async def wait_connected(self) -> None:
        """Return once subscribed (for start-up and tests)."""
        await self._connected.wait()

    async def _listen(self) -> None:
        await listen(
            self._redis,
            lambda: [self.channel],
            lambda _channel, data: self._on_invalidation(data),
            on_up=self._on_up,
            on_down=self._connected.clear,
            on_lost=self._on_lost,
            connect_timeout=self.connect_timeout,
            subscribe_timeout=self.connect_timeout + self.timeout,
            heartbeat=self.heartbeat,
            closing=lambda: self._closing,
        )

    async def _on_up(self, reconnected: bool) -> None:
        self._up(reconnected=reconnected)
        await self._send_unsent()

    def _on_lost(self, exc: BaseException) -> None:
        logger.warning(
            "shared cache: lost Redis ({}); settings are read from the database "
            "until it is back",
            exc or type(exc).__name__,
        )

    def _up(self, *, reconnected: bool) -> None:
        # Invalidations sent while this process was away are lost: forget everything.
        for caches in self._caches.values():
            for cache in caches:
                cache.drop_all()
        self._connected.set()
        if reconnected:
            logger.info("shared cache: Redis is back")

    def _on_invalidation(self, raw: bytes) -> None:
        try:
            data = json.loads(raw)
            cache, key, sender = str(data["cache"]), str(data["key"]), data.get("from")
        except (ValueError, KeyError, TypeError):
            logger.warning("shared cache: ignored an unreadable invalidation")
            return
        if sender == self.process_id:
            return  # the writer already holds the new value
        self._metrics.cache_invalidations.labels(cache, "received").inc()
        for registered in self._caches.get(cache, ()):
            try:
                registered.drop(key)
            except ValueError:
                logger.warning("shared cache: ignored an invalidation of {}:{!r}", cache, key)

    async def close(self) -> None:
        """Stop listening and close the connections."""
        self._closing = True
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            # Bounded: redis-py may swallow a cancellation in the middle of a command.
            await asyncio.wait({listener}, timeout=self.timeout * 4)
        await self._redis.aclose()
