"""The in-process event bus that replaces the Redis channels of the original design.

Two patterns:

* **publish/subscribe** — `publish(channel, message)` hands the message to every
  subscriber's own bounded queue; each subscriber has one worker task, so
  a subscriber sees messages in publish order and a slow or failing subscriber
  never affects the others.
* **request/reply** — `request(channel, message)` runs the channel's single
  handler (registered with `serve`) in its own task and waits for its result;
  a handler that does not answer in time gives the caller `BusTimeout`, and
  keeps running to completion so it never stops half-way through a change.
  Each request has a deadline (when its caller stops waiting): a handler
  calls `check_deadline()` before it changes anything, so a command whose
  caller was already told it timed out is dropped (`RequestExpired`) rather
  than run late, when the user may have retried it. A `Command` with a
  `command_id` runs once: the same id again (a redelivery, a double click)
  waits for the first run or gets its answer, remembered for `ANSWER_TTL_S`.

Back-pressure policy: when a subscriber's queue is full the publisher waits up
to `put_timeout` seconds for room, then drops the message *for that
subscriber only*, counts it (`status="dropped"`) and logs a warning. A
publisher is therefore never blocked longer than `put_timeout` per slow
subscriber. Observers of requests (audit, metrics) never delay the request:
a full observer queue drops the copy at once, counted the same way.

Each delivery runs with the publisher's correlation id bound, so every log
line a command causes carries the same id on both sides of the bus; with
tracing on, it runs in a span under the publisher's (`bot.tracing`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cachetools import TTLCache
from loguru import logger

from bot.correlation import correlation
from bot.messages import AudioEvent, BusMessage, Command, DiscordEvent, NowPlayingUpdate
from bot.metrics import BUS_LATENCY, BUS_OPERATIONS
from bot.tracing import continue_trace, traced


class Channel(StrEnum):
    """The four channels, named as in the Redis design."""

    COMMANDS = "discord-bot:commands"
    TO_AUDIO = "discord-bot:to-audio"
    TO_DISCORD = "discord-bot:to-discord"
    UI_NOW = "discord-bot:ui:now"


CHANNEL_TYPES: dict[Channel, type[BusMessage]] = {
    Channel.COMMANDS: Command,
    Channel.TO_AUDIO: DiscordEvent,
    Channel.TO_DISCORD: AudioEvent,
    Channel.UI_NOW: NowPlayingUpdate,
}

Subscriber = Callable[[Any], Awaitable[None]]
Handler = Callable[[Any], Awaitable[Any]]


class BusError(Exception):
    """Base of bus failures."""


class BusTimeout(BusError):
    """The handler of a request did not answer in time."""


class RequestExpired(BusTimeout):
    """The request's deadline passed before its handler changed anything: it was dropped."""


ANSWER_TTL_S = 900.0
ANSWERS_KEPT = 10_000
# The deadline of the request whose handler runs in this context (loop time).
_deadline: ContextVar[float | None] = ContextVar("bus_request_deadline", default=None)


def check_deadline() -> None:
    """Raise `RequestExpired` if the request being handled is past its deadline."""
    deadline = _deadline.get()
    if deadline is not None and asyncio.get_running_loop().time() >= deadline:
        raise RequestExpired("the caller stopped waiting before the request could run")


class NoHandler(BusError):
    """Nobody serves requests on this channel (the audio side is not loaded)."""


class BusClosed(BusError):
    """The bus is shutting down."""


@dataclass
class _Delivery:
    message: BusMessage
    published_at: float


@dataclass
class Subscription:
    """One subscriber: its callback, its bounded queue and its worker task."""

    channel: Channel
    callback: Subscriber
    name: str
    queue: asyncio.Queue[_Delivery]
    task: asyncio.Task[None] | None = field(default=None)
    remote: bool = False

    async def cancel(self) -> None:
        """Stop the worker; undelivered messages are discarded."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


class EventBus:
    """Typed in-process channels with isolation, bounded queues and metrics."""

    def __init__(self, *, queue_size: int = 1_000, put_timeout: float = 1.0) -> None:
        self.queue_size = queue_size
        self.put_timeout = put_timeout
        self._subscriptions: dict[Channel, list[Subscription]] = {c: [] for c in Channel}
        self._handlers: dict[Channel, Handler] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._running: dict[tuple[Channel, str], asyncio.Task[Any]] = {}
        self._answers: TTLCache[tuple[Channel, str], Any] = TTLCache(ANSWERS_KEPT, ANSWER_TTL_S)
        self._closed = False

    # -- publish / subscribe -------------------------------------------------

    def subscribe(
        self, channel: Channel, callback: Subscriber, *, name: str = "", remote: bool = False
    ) -> Subscription:
        """Deliver every message of `channel` to `callback`, in order, in its own task.

        `remote`: also the messages other processes publish (the Redis bus mirrors
        `discord-bot:ui:now`); in one process there are none.
        """
        sub = Subscription(
            channel=channel,
            callback=callback,
            name=name or getattr(callback, "__qualname__", repr(callback)),
            queue=asyncio.Queue(self.queue_size),
            remote=remote,
        )
        sub.task = asyncio.create_task(self._pump(sub), name=f"bus:{channel}:{sub.name}")
        self._subscriptions[channel].append(sub)
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        """Remove a subscription and stop its worker."""
        with contextlib.suppress(ValueError):
            self._subscriptions[sub.channel].remove(sub)
        await sub.cancel()

    async def publish(self, channel: Channel, message: BusMessage) -> int:
        """Queue `message` for every subscriber; returns how many accepted it."""
        return await self._fan_out(channel, message, wait=self.put_timeout)

    async def _fan_out(self, channel: Channel, message: BusMessage, *, wait: float) -> int:
        self._check(channel, message)
        delivery = _Delivery(message, time.perf_counter())
        accepted = 0
        for sub in list(self._subscriptions[channel]):
            try:
                sub.queue.put_nowait(delivery)
            except asyncio.QueueFull:
                try:
                    if wait <= 0:
                        raise TimeoutError
                    await asyncio.wait_for(sub.queue.put(delivery), wait)
                except TimeoutError:
                    BUS_OPERATIONS.labels(channel.value, "publish", "dropped").inc()
                    logger.warning(
                        "bus: subscriber {} on {} is {} messages behind; dropped one",
                        sub.name,
                        channel.value,
                        sub.queue.qsize(),
                    )
                    continue
            accepted += 1
        BUS_OPERATIONS.labels(channel.value, "publish", "ok").inc()
        return accepted

    async def _pump(self, sub: Subscription) -> None:
        channel = sub.channel.value
        while True:
            delivery = await sub.queue.get()
            BUS_LATENCY.labels(channel).observe(time.perf_counter() - delivery.published_at)
            message = delivery.message
            with (
                correlation(message.correlation_id),
                continue_trace(
                    message.traceparent, f"{channel} deliver", {"bus.subscriber": sub.name}
                ),
            ):
                try:
                    await sub.callback(message)
                except Exception:
                    BUS_OPERATIONS.labels(channel, "deliver", "error").inc()
                    logger.exception("bus: subscriber {} failed on {}", sub.name, channel)
                else:
                    BUS_OPERATIONS.labels(channel, "deliver", "ok").inc()
                finally:
                    sub.queue.task_done()

    async def drain(self) -> None:
        """Wait until every subscriber has handled what was published so far."""
        for subs in self._subscriptions.values():
            for sub in list(subs):
                await sub.queue.join()

    # -- request / reply -----------------------------------------------------

    def serve(self, channel: Channel, handler: Handler) -> None:
        """Make `handler` the one that answers requests on `channel`."""
        if channel in self._handlers:
            raise BusError(f"{channel.value} already has a handler")
        self._handlers[channel] = handler

    def stop_serving(self, channel: Channel) -> None:
        """Remove the request handler of `channel`."""
        self._handlers.pop(channel, None)

    async def request(self, channel: Channel, message: BusMessage, *, timeout: float) -> Any:
        """Run the channel's handler on `message` and return its result, or raise BusTimeout.

        Subscribers of the channel also see the message (audit, metrics), after
        the handler has been started.
        """
        self._check(channel, message)
        handler = self._handlers.get(channel)
        if handler is None:
            BUS_OPERATIONS.labels(channel.value, "request", "no_handler").inc()
            raise NoHandler(f"nobody serves {channel.value}")
        command_id = getattr(message, "command_id", None)
        key = (channel, command_id) if command_id else None
        if key is not None and key in self._answers:
            BUS_OPERATIONS.labels(channel.value, "request", "replayed").inc()
            return self._answers[key]
        task = self._running.get(key) if key is not None else None
        if task is None:
            task = self._start(channel, handler, message, key, timeout)
            if self._subscriptions[channel]:
                await self._fan_out(channel, message, wait=0)
        try:
            result = await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            BUS_OPERATIONS.labels(channel.value, "request", "timeout").inc()
            raise BusTimeout(f"no answer on {channel.value} within {timeout:g}s") from None
        except Exception:
            BUS_OPERATIONS.labels(channel.value, "request", "error").inc()
            raise
        BUS_OPERATIONS.labels(channel.value, "request", "ok").inc()
        return result

    def _start(
        self,
        channel: Channel,
        handler: Handler,
        message: BusMessage,
        key: tuple[Channel, str] | None,
        timeout: float,
    ) -> asyncio.Task[Any]:
        async def run() -> Any:
            try:
                check_deadline()  # it waited too long even to start
                result = await handler(message)
            except RequestExpired:
                BUS_OPERATIONS.labels(channel.value, "request", "expired").inc()
                logger.info("bus: dropped a {} its caller had stopped waiting for",
                            type(message).__name__)
                raise
            if key is not None:
                self._answers[key] = result
            return result

        deadline = _deadline.set(asyncio.get_running_loop().time() + timeout)
        try:
            with correlation(message.correlation_id):
                work = traced(run(), message.traceparent, f"{channel} handle")
                task = asyncio.create_task(work, name=f"bus:{channel}:request")
        finally:
            _deadline.reset(deadline)
        self._inflight.add(task)
        task.add_done_callback(self._finished)
        if key is not None:
            self._running[key] = task
            task.add_done_callback(lambda _: self._running.pop(key, None))
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Retrieved here so a caller that timed out does not leave it unobserved.
            task.exception()

    async def settle(self) -> None:
        """Wait until the handlers running now are done (also those whose caller gave up)."""
        while self._inflight:
            await asyncio.wait(set(self._inflight))

    # -- lifecycle -----------------------------------------------------------

    async def close(self, *, grace: float = 5.0) -> None:
        """Let in-flight requests finish (up to `grace` s), then stop every subscriber."""
        self._closed = True
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=grace)
        for subs in self._subscriptions.values():
            for sub in list(subs):
                await self.unsubscribe(sub)
        self._handlers.clear()

    def _check(self, channel: Channel, message: BusMessage) -> None:
        if self._closed:
            raise BusClosed("the bus is closed")
        expected = CHANNEL_TYPES[channel]
        if not isinstance(message, expected):
            raise TypeError(
                f"{channel.value} carries {expected.__name__}, not {type(message).__name__}"
            )
