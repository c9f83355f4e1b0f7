"""The event bus over Redis, for several processes that split Discord's shards.

`RedisBus` is an `EventBus`: publish/subscribe and the handlers stay in the
process, as do the commands of the guilds this process owns. A request on
`discord-bot:commands` for a guild of another shard
(shard = (guild_id >> 22) % shard_count) goes over Redis instead:

    caller                                      owner of shard n
    PUBLISH <prefix>discord-bot:commands:shard:<n>
            {id, reply_to, timeout, deadline, message} ─▶ runs its local handler
    reply future ◀── PUBLISH <reply_to> {id, result | error}

Each process subscribes to its shards' channels and to a reply channel of its
own. Observers of commands (audit) see a command in the process that runs it.
The timeout is the caller's, as in-process (`BusTimeout`), and so is the
deadline past which the owner drops the command instead of running it late
(`deadline`, wall-clock seconds, never later than `timeout` after it
arrives); a command's `command_id` makes a repeat answer with the first
answer on the owner, as in-process. Errors meant for
people come back as their own types (see `bot.bus_codec`), anything else as
`RemoteError`. Redis being down never touches the local path: requests for
other processes fail at once with `ShardUnreachable` (a `ServiceUnavailable`,
so users read why) until the subscription is back; it is retried with backoff,
and a heartbeat notices a connection that stopped answering. Now-playing
updates reach every process's status page and API (`bot.now_playing_mirror`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from loguru import logger
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.bus import BusError, BusTimeout, Channel, EventBus, _Delivery
from bot.bus_codec import CodecError, decode, decode_error, encode, encode_error, is_portable
from bot.correlation import correlation
from bot.errors import ServiceUnavailable
from bot.guild_directory import GuildDirectory
from bot.messages import BusMessage, Command, NowPlayingUpdate
from bot.metrics import BUS_OPERATIONS
from bot.now_playing_mirror import NowPlayingMirror
from bot.redis_subscription import HEARTBEAT_S, REDIS_DOWN, listen

__all__ = ["RedisBus", "RemoteError", "ShardUnreachable", "shard_of"]

UNREACHABLE = "The process for this server is unreachable right now. Try again in a moment."
COMMAND_TIMEOUT_S = 5.0
# The owner gives up this much before the caller: clocks of two processes (or hosts)
# never agree exactly, and a command must not run once its caller has given up.
CLOCK_MARGIN_S = 0.05


class ShardUnreachable(BusError, ServiceUnavailable):
    """The guild belongs to another process, and Redis or that process cannot be reached."""

    def __init__(self, message: str = UNREACHABLE) -> None:
        super().__init__(message)


class RemoteError(BusError):
    """The owning process failed on the command unexpectedly (the details are in its log)."""


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord delivers the guild on."""
    return (guild_id >> 22) % shard_count


class RedisBus(EventBus):
    """An EventBus whose commands reach the process that owns the guild's shard."""

    def __init__(
        self,
        *,
        url: str,
        shard_count: int,
        shard_ids: Iterable[int] | None = None,
        prefix: str = "",
        connect_timeout: float = 1.0,
        queue_size: int = 1_000,
        put_timeout: float = 1.0,
        heartbeat: float = HEARTBEAT_S,
    ) -> None:
        super().__init__(queue_size=queue_size, put_timeout=put_timeout)
        self.shard_count = shard_count
        self.shard_ids = frozenset(range(shard_count) if shard_ids is None else shard_ids)
        self.prefix = prefix
        self.connect_timeout = connect_timeout
        self.heartbeat = heartbeat
        self.process_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        split = urlsplit(url)
        self.where = f"{split.hostname or split.path}:{split.port or 6379}"
        self._redis = Redis.from_url(
            url,
            socket_connect_timeout=connect_timeout,
            socket_timeout=COMMAND_TIMEOUT_S,
            # Fail, don't retry: a retried PUBLISH could run a command twice, and the
            # listener has its own reconnect loop.
            retry=Retry(NoBackoff(), 0),
        )
        self.directory = GuildDirectory(self._redis, owns=self.owns, prefix=prefix)
        self.now_playing = NowPlayingMirror(
            self._redis,
            owns=self.owns,
            deliver=self._deliver_remote,
            process_id=self.process_id,
            prefix=prefix,
        )
        self._reply_channel = f"{prefix}discord-bot:replies:{self.process_id}"
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._serving: set[asyncio.Task[None]] = set()
        self._connected = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
        self._refresh: asyncio.Task[None] | None = None

    # -- routing ---------------------------------------------------------------

    def owns(self, guild_id: int) -> bool:
        """Whether this process runs the shard of the guild."""
        return shard_of(guild_id, self.shard_count) in self.shard_ids

    @property
    def connected(self) -> bool:
        """Subscribed to Redis right now (cross-process requests can be made and served)."""
        return self._connected.is_set()

    async def publish(self, channel: Channel, message: BusMessage) -> int:
        """As `EventBus.publish`; now-playing updates also go to the other processes."""
        accepted = await super().publish(channel, message)
        if channel is Channel.UI_NOW and isinstance(message, NowPlayingUpdate):
            self.now_playing.share(message)
        return accepted

    def _deliver_remote(self, update: NowPlayingUpdate) -> None:
        """Another process's now-playing update, to the subscribers that asked for those."""
        delivery = _Delivery(update, time.perf_counter())
        for sub in self._subscriptions[Channel.UI_NOW]:
            if not sub.remote:
                continue
            try:
                sub.queue.put_nowait(delivery)
            except asyncio.QueueFull:
                BUS_OPERATIONS.labels(Channel.UI_NOW.value, "remote_publish", "dropped").inc()

    def shard_channel(self, shard: int) -> str:
        """The Redis channel the owner of `shard` takes commands on."""
        return f"{self.prefix}{Channel.COMMANDS.value}:shard:{shard}"

    async def request(self, channel: Channel, message: BusMessage, *, timeout: float) -> Any:
        """As `EventBus.request`; commands for another process's guild go over Redis."""
        if channel is not Channel.COMMANDS or not isinstance(message, Command):
            return await super().request(channel, message, timeout=timeout)
        if self.owns(message.guild_id):
            return await super().request(channel, message, timeout=timeout)
        self._check(channel, message)
        with correlation(message.correlation_id):
            return await self._ask_remote(message, timeout)

    async def _ask_remote(self, message: Command, timeout: float) -> Any:
        shard = shard_of(message.guild_id, self.shard_count)
        if not self.connected:
            raise self._unreachable("no connection to Redis")
        loop = asyncio.get_running_loop()
        deadline, wall_deadline = loop.time() + timeout, time.time() + timeout
        request_id = uuid.uuid4().hex
        reply: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending[request_id] = reply
        try:
            envelope = {
                "id": request_id,
                "reply_to": self._reply_channel,
                "timeout": timeout,
                "deadline": wall_deadline,
                "message": encode(message),
            }
            try:
                async with asyncio.timeout(min(timeout, COMMAND_TIMEOUT_S)):
                    receivers = await self._redis.publish(
                        self.shard_channel(shard), json.dumps(envelope)
                    )
            except REDIS_DOWN as exc:
                raise self._unreachable(f"Redis: {exc or type(exc).__name__}") from None
            if receivers == 0:
                raise self._unreachable(f"no process serves shard {shard}")
            if receivers > 1:
                logger.warning(
                    "bus: {} processes serve shard {}; check shard_ids", receivers, shard
                )
            logger.debug(
                "bus: {} for guild {} sent to shard {}",
                type(message).__name__,
                message.guild_id,
                shard,
            )
            try:
                async with asyncio.timeout_at(deadline):
                    answer = await reply
            except TimeoutError:
                BUS_OPERATIONS.labels(Channel.COMMANDS.value, "remote_request", "timeout").inc()
                raise BusTimeout(
                    f"no answer from shard {shard} on {Channel.COMMANDS.value} within {timeout:g}s"
                ) from None
            except ShardUnreachable:
                raise self._unreachable("lost Redis while waiting for the answer") from None
        finally:
            self._pending.pop(request_id, None)
        return self._unpack(answer)

    def _unreachable(self, why: str) -> ShardUnreachable:
        BUS_OPERATIONS.labels(Channel.COMMANDS.value, "remote_request", "unreachable").inc()
        logger.warning("bus: a command for another process failed: {}", why)
        return ShardUnreachable()

    def _unpack(self, answer: dict[str, Any]) -> Any:
        """The result in `answer`, or its error raised."""
        status = "ok"
        try:
            if "error" not in answer:
                return decode(answer.get("result"))
            error = decode_error(answer["error"])
            status = "user_error" if error is not None else "error"
            raise error or RemoteError("The process for this server could not run the command.")
        except CodecError as exc:
            status = "error"
            logger.error("bus: unreadable answer from another process: {}", exc)
            raise RemoteError("The answer of the process for this server was unreadable.") from None
        finally:
            BUS_OPERATIONS.labels(Channel.COMMANDS.value, "remote_request", status).inc()

    # -- serving other processes -------------------------------------------------

    async def _serve_remote(self, raw: bytes) -> None:
        try:
            envelope = json.loads(raw)
            request_id, reply_to = str(envelope["id"]), str(envelope["reply_to"])
            timeout = float(envelope["timeout"])
            if envelope.get("deadline") is not None:  # what is left of the caller's wait
                left = float(envelope["deadline"]) - time.time() - CLOCK_MARGIN_S
                timeout = min(timeout, max(0.0, left))
            message = decode(envelope["message"])
            if not isinstance(message, Command):
                raise CodecError(f"{type(message).__name__} is not a command")
        except (ValueError, KeyError, TypeError, CodecError) as exc:
            logger.warning("bus: ignored an unreadable request from Redis: {}", exc)
            return
        with correlation(message.correlation_id):
            answer: dict[str, Any] = {"id": request_id}
            try:
                result = await super().request(Channel.COMMANDS, message, timeout=timeout)
                answer["result"] = encode(result)
                status = "ok"
            except Exception as exc:
                status = "user_error" if is_portable(exc) else "error"
                if not is_portable(exc):
                    logger.opt(exception=exc).error(
                        "bus: {} from another process failed", type(message).__name__
                    )
                answer["error"] = encode_error(exc)
            BUS_OPERATIONS.labels(Channel.COMMANDS.value, "remote_serve", status).inc()
            try:
                async with asyncio.timeout(COMMAND_TIMEOUT_S):
                    await self._redis.publish(reply_to, json.dumps(answer))
            except REDIS_DOWN as exc:
                logger.warning("bus: could not answer another process: {}", exc)

    # -- the subscription --------------------------------------------------------

    async def start(self) -> None:
        """Subscribe (in the background, reconnecting for ever); wait briefly for Redis."""
        if self._listener is not None:
            return
        self._listener = asyncio.create_task(self._listen(), name="bus:redis")
        try:
            await asyncio.wait_for(self._connected.wait(), self.connect_timeout * 2)
        except TimeoutError:
            logger.warning(
                "bus: Redis at {} is unreachable; commands for other processes' servers fail "
                "until it answers (this process's servers work as usual)",
                self.where,
            )

    def _channels(self) -> list[str]:
        shards = [self.shard_channel(shard) for shard in sorted(self.shard_ids)]
        return [*shards, self._reply_channel, self.directory.channel, self.now_playing.channel]

    async def _listen(self) -> None:
        await listen(
            self._redis,
            self._channels,
            self._dispatch,
            on_up=self._on_up,
            on_down=self._down,
            on_lost=self._on_lost,
            connect_timeout=self.connect_timeout,
            subscribe_timeout=self.connect_timeout + COMMAND_TIMEOUT_S,
            heartbeat=self.heartbeat,
        )

    async def _on_up(self, reconnected: bool) -> None:
        self._up(reconnected=reconnected)

    def _on_lost(self, exc: BaseException) -> None:
        logger.warning(
            "bus: lost Redis at {} ({}); commands for other processes' servers "
            "fail until it is back",
            self.where,
            exc or type(exc).__name__,
        )

    def _dispatch(self, raw_channel: bytes, data: bytes) -> None:
        channel = raw_channel.decode()
        if channel == self._reply_channel:
            self._resolve(data)
        elif channel == self.directory.channel:
            self.directory.on_update(data)
        elif channel == self.now_playing.channel:
            self.now_playing.on_update(data)
        else:
            task = asyncio.create_task(self._serve_remote(data), name="bus:redis:serve")
            self._serving.add(task)
            task.add_done_callback(self._serving.discard)

    def _resolve(self, data: bytes) -> None:
        try:
            answer = json.loads(data)
            reply = self._pending.get(str(answer["id"]))
        except (ValueError, KeyError, TypeError):
            logger.warning("bus: ignored an unreadable answer from Redis")
            return
        if reply is not None and not reply.done():
            reply.set_result(answer)

    def _up(self, *, reconnected: bool) -> None:
        self._connected.set()
        if reconnected:
            logger.info("bus: Redis at {} is back; cross-process commands work again", self.where)
        else:
            logger.info(
                "bus: on Redis at {} as shards {} of {}",
                self.where,
                sorted(self.shard_ids),
                self.shard_count,
            )
        if self._refresh is not None:
            self._refresh.cancel()
        self._refresh = asyncio.create_task(self._reload_shared(), name="bus:redis:directory")

    async def _reload_shared(self) -> None:
        """What other processes announced may have changed while we were away."""
        await self.directory.on_connected()
        await self.now_playing.on_connected()

    def _down(self) -> None:
        self._connected.clear()
        # Their answers would come on the subscription that just broke.
        for reply in self._pending.values():
            if not reply.done():
                reply.set_exception(ShardUnreachable())

    # -- lifecycle ---------------------------------------------------------------

    async def close(self, *, grace: float = 5.0) -> None:
        """Stop taking commands from Redis, finish those being served, then close everything."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self._refresh is not None:
            self._refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh
        if self._serving:
            await asyncio.wait(set(self._serving), timeout=grace)
        await super().close(grace=grace)
        await self.now_playing.close()
        await self._redis.aclose()
