"""A Redis pub/sub subscription that lives for ever: reconnects with backoff, notices silence.

Both the Redis bus and the shared settings cache listen on channels that must
keep working across Redis restarts and network cuts. `listen` subscribes,
confirms every channel, then reads messages while pinging every `heartbeat`
seconds; a connection quiet for `MISSED_HEARTBEATS` heartbeats counts as lost
(redis-py would otherwise wait on a dead socket for ever). On loss it calls
`on_lost` once per outage, `on_down` every time, and retries with exponential
backoff until `closing()` says stop or the task is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

__all__ = ["HEARTBEAT_S", "REDIS_DOWN", "listen"]

HEARTBEAT_S = 1.0
MISSED_HEARTBEATS = 3
RETRY_MIN_S = 0.1
RETRY_MAX_S = 2.0
REDIS_DOWN = (RedisError, OSError, TimeoutError)
"""What a Redis that cannot be reached raises."""


async def listen(
    redis: Redis,
    channels: Callable[[], Sequence[str]],
    on_message: Callable[[bytes, bytes], None],
    *,
    on_up: Callable[[bool], Awaitable[None]],
    on_down: Callable[[], None],
    on_lost: Callable[[BaseException], None],
    connect_timeout: float,
    subscribe_timeout: float,
    heartbeat: float = HEARTBEAT_S,
    closing: Callable[[], bool] = lambda: False,
) -> None:
    """Stay subscribed to `channels()`, handing each message's channel and data to `on_message`.

    `on_up(reconnected)` runs once the subscription is confirmed (`reconnected`
    after an outage); `on_lost(error)` once when an outage starts.
    """
    delay = RETRY_MIN_S
    lost = False
    while not closing():
        pubsub = redis.pubsub()
        try:
            async with asyncio.timeout(subscribe_timeout):
                await _subscribe(pubsub, list(channels()), connect_timeout)
            reconnected, lost, delay = lost, False, RETRY_MIN_S
            await on_up(reconnected)
            await _receive(pubsub, on_message, heartbeat)
        except REDIS_DOWN as exc:
            if not lost:
                on_lost(exc)
                lost = True
        finally:
            on_down()
            with contextlib.suppress(Exception):
                await pubsub.aclose()
        await asyncio.sleep(delay)
        delay = min(delay * 2, RETRY_MAX_S)


async def _subscribe(pubsub: PubSub, channels: list[str], connect_timeout: float) -> None:
    await pubsub.subscribe(*channels)
    confirmed = 0
    while confirmed < len(channels):
        message = await pubsub.get_message(timeout=connect_timeout)
        if message is None:
            raise TimeoutError("Redis did not confirm the subscription")
        confirmed += message["type"] == "subscribe"


async def _receive(
    pubsub: PubSub, on_message: Callable[[bytes, bytes], None], heartbeat: float
) -> None:
    loop = asyncio.get_running_loop()
    silence = heartbeat * MISSED_HEARTBEATS
    last_seen = next_ping = loop.time()
    while True:
        try:
            # Bounded from outside too: redis-py reconnects by itself after an error,
            # and a connect to a Redis that never answers would hang here.
            async with asyncio.timeout(silence):
                message = await pubsub.get_message(timeout=heartbeat)
                now = loop.time()
                if now >= next_ping:
                    await pubsub.ping()
                    next_ping = now + heartbeat
        except TimeoutError:
            raise TimeoutError("Redis stopped answering") from None
        if message is not None:
            last_seen = now
            if message["type"] == "message":
                on_message(message["channel"], message["data"])
        elif now - last_seen > silence:
            raise TimeoutError("Redis stopped answering")
