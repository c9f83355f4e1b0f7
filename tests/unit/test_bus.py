"""The event bus: channels, isolation, correlation ids, request/reply, back-pressure, metrics."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from loguru import logger
from prometheus_client import REGISTRY

from bot.bus import BusTimeout, Channel, EventBus, NoHandler
from bot.correlation import correlation
from bot.log import setup_logging
from bot.messages import AudioEvent, Command, NowPlayingUpdate
from bot.settings import LoggingSettings


@dataclass(frozen=True, kw_only=True)
class Echo(Command):
    text: str = ""


def metric(channel: Channel, operation: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "bus_operations_total",
        {"channel": channel.value, "operation": operation, "status": status},
    )
    return value or 0.0


@pytest.fixture
async def bus() -> AsyncIterator[EventBus]:
    b = EventBus(queue_size=4, put_timeout=0.05)
    yield b
    await b.close(grace=0.1)


def test_channel_names_match_the_redis_design() -> None:
    """The four channels keep the names of the Redis design."""
    assert [c.value for c in Channel] == [
        "discord-bot:commands",
        "discord-bot:to-audio",
        "discord-bot:to-discord",
        "discord-bot:ui:now",
    ]


async def test_wrong_message_type_is_refused(bus: EventBus) -> None:
    """A channel only carries its own message type."""
    with pytest.raises(TypeError, match="carries NowPlayingUpdate"):
        await bus.publish(Channel.UI_NOW, AudioEvent(guild_id=1))


async def test_failing_subscriber_does_not_stop_others(bus: EventBus) -> None:
    """A raising subscriber is logged and counted; the others still get every message."""
    got: list[int] = []
    errors_before = metric(Channel.TO_DISCORD, "deliver", "error")

    async def broken(_msg: AudioEvent) -> None:
        raise RuntimeError("boom")

    async def healthy(msg: AudioEvent) -> None:
        got.append(msg.guild_id)

    bus.subscribe(Channel.TO_DISCORD, broken)
    bus.subscribe(Channel.TO_DISCORD, healthy)
    for guild in (1, 2, 3):
        await bus.publish(Channel.TO_DISCORD, AudioEvent(guild_id=guild))
    await bus.drain()
    assert got == [1, 2, 3]
    assert metric(Channel.TO_DISCORD, "deliver", "error") == errors_before + 3


async def test_correlation_id_on_lines_of_two_subscribers(bus: EventBus) -> None:
    """Lines logged by two subscribers of one command carry that command's id."""
    out = io.StringIO()
    setup_logging(LoggingSettings(level="INFO", json=False), stream=out)

    async def first(_msg: Echo) -> None:
        logger.info("first saw it")

    async def second(_msg: Echo) -> None:
        logger.info("second saw it")

    try:
        bus.subscribe(Channel.COMMANDS, first)
        bus.subscribe(Channel.COMMANDS, second)
        with correlation("cid-42"):
            await bus.publish(Channel.COMMANDS, Echo(guild_id=1, user_id=2))
        await bus.drain()
    finally:
        logger.remove()
    lines = [line for line in out.getvalue().splitlines() if "saw it" in line]
    assert len(lines) == 2
    assert all("cid-42" in line for line in lines)


async def test_request_returns_handler_result_with_correlation(bus: EventBus) -> None:
    """request() runs the handler with the caller's correlation id and returns its value."""
    from bot.correlation import current_correlation_id

    async def handler(msg: Echo) -> tuple[str, str | None]:
        return msg.text.upper(), current_correlation_id()

    bus.serve(Channel.COMMANDS, handler)
    with correlation("req-1"):
        result = await bus.request(
            Channel.COMMANDS, Echo(guild_id=1, user_id=2, text="hi"), timeout=1
        )
    assert result == ("HI", "req-1")


async def test_request_timeout_is_clear_and_handler_finishes(bus: EventBus) -> None:
    """A slow handler gives BusTimeout, and still runs to completion."""
    finished = asyncio.Event()
    release = asyncio.Event()

    async def slow(_msg: Echo) -> None:
        await release.wait()
        finished.set()

    bus.serve(Channel.COMMANDS, slow)
    with pytest.raises(BusTimeout, match=r"within 0\.05s"):
        await bus.request(Channel.COMMANDS, Echo(guild_id=1, user_id=1), timeout=0.05)
    release.set()
    await asyncio.wait_for(finished.wait(), 1)


async def test_request_without_handler(bus: EventBus) -> None:
    """No audio side loaded → NoHandler at once, not a hang."""
    with pytest.raises(NoHandler):
        await bus.request(Channel.COMMANDS, Echo(guild_id=1, user_id=1), timeout=1)


async def test_handler_exception_reaches_requester(bus: EventBus) -> None:
    """An error in the handler is raised to the caller."""

    async def handler(_msg: Echo) -> None:
        raise ValueError("bad index")

    bus.serve(Channel.COMMANDS, handler)
    with pytest.raises(ValueError, match="bad index"):
        await bus.request(Channel.COMMANDS, Echo(guild_id=1, user_id=1), timeout=1)


async def test_stuck_subscriber_drops_instead_of_blocking(bus: EventBus) -> None:
    """A full subscriber queue costs the publisher at most put_timeout, then drops for it only."""
    release = asyncio.Event()
    fast_got: list[int] = []

    async def stuck(_msg: NowPlayingUpdate) -> None:
        await release.wait()

    async def fast(msg: NowPlayingUpdate) -> None:
        fast_got.append(msg.guild_id)

    bus.subscribe(Channel.UI_NOW, stuck)
    bus.subscribe(Channel.UI_NOW, fast)
    dropped_before = metric(Channel.UI_NOW, "publish", "dropped")
    for guild in range(10):
        await asyncio.wait_for(
            bus.publish(Channel.UI_NOW, NowPlayingUpdate(guild_id=guild, reason="x")), 1
        )
        await asyncio.sleep(0)
    # queue_size=4 plus one in the stuck callback: the rest are dropped for `stuck` only.
    assert metric(Channel.UI_NOW, "publish", "dropped") - dropped_before == 5
    release.set()
    await bus.drain()
    assert fast_got == list(range(10))


async def test_publish_counts_and_latency(bus: EventBus) -> None:
    """Every publish is counted and every delivery observed in the latency histogram."""
    before = metric(Channel.TO_AUDIO, "publish", "ok")
    hist_before = (
        REGISTRY.get_sample_value(
            "bus_delivery_latency_seconds_count", {"channel": Channel.TO_AUDIO.value}
        )
        or 0.0
    )
    from bot.messages import DiscordEvent

    async def sink(_msg: DiscordEvent) -> None:
        return None

    bus.subscribe(Channel.TO_AUDIO, sink)
    await bus.publish(Channel.TO_AUDIO, DiscordEvent(guild_id=5))
    await bus.drain()
    assert metric(Channel.TO_AUDIO, "publish", "ok") == before + 1
    assert (
        REGISTRY.get_sample_value(
            "bus_delivery_latency_seconds_count", {"channel": Channel.TO_AUDIO.value}
        )
        == hist_before + 1
    )


async def test_stuck_observer_never_delays_a_request(bus: EventBus) -> None:
    """A request's observers get copies without waiting: a full one just misses some."""
    release = asyncio.Event()

    async def stuck(_msg: Echo) -> None:
        await release.wait()

    async def handler(msg: Echo) -> str:
        return msg.text

    bus.subscribe(Channel.COMMANDS, stuck)
    bus.serve(Channel.COMMANDS, handler)
    dropped_before = metric(Channel.COMMANDS, "publish", "dropped")
    for i in range(10):
        # put_timeout is 0.05 s: ten requests waiting on a full queue would take 0.3 s+.
        answer = await asyncio.wait_for(
            bus.request(Channel.COMMANDS, Echo(guild_id=1, user_id=1, text=str(i)), timeout=1),
            0.04,
        )
        assert answer == str(i)
    assert metric(Channel.COMMANDS, "publish", "dropped") - dropped_before == 5
    release.set()
