"""RedisBus on the real Redis: commands reach the process of their guild's shard and back."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from redis.asyncio import Redis

from bot import audio_commands as ac
from bot.api.port import GuildRef
from bot.bus import BusTimeout, Channel, NoHandler
from bot.bus_redis import RedisBus, RemoteError, ShardUnreachable, shard_of
from bot.correlation import current_correlation_id
from bot.errors import NotInVoice, RateLimited, ServiceUnavailable, UserError
from bot.i18n import Text
from bot.messages import NowPlayingUpdate
from bot.music.queue import QueueFull
from tests.fakes.tcp_proxy import TcpProxy
from tests.redis.conftest import REDIS_PORT, REDIS_URL, BusFactory, guild_on, proxy_url

GUILD_0, GUILD_1 = guild_on(0), guild_on(1)


def volume(guild_id: int, level: int = 50) -> ac.SetVolume:
    return ac.SetVolume(guild_id=guild_id, user_id=7, voice_channel_id=9, level=level, origin="api")


def answering(owner: str, seen: list[Any] | None = None) -> Any:
    async def handler(command: Any) -> ac.Done:
        if seen is not None:
            seen.append((command, current_correlation_id()))
        return ac.Done(Text(f"{type(command).__name__} {command.level} by {owner}"))

    return handler


async def eventually(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def test_shard_of_follows_discord() -> None:
    """(guild_id >> 22) % shard_count, as Discord assigns guilds to shards."""
    assert shard_of(GUILD_0, 2) == 0
    assert shard_of(GUILD_1, 2) == 1
    assert shard_of(81384788765712384, 1) == 0


async def test_command_for_another_shard_runs_on_its_owner(make_bus: BusFactory) -> None:
    """Process 0 asks for a guild of shard 1: process 1's handler runs it and its answer returns."""
    bus0, bus1 = await make_bus(0), await make_bus(1)
    ran0: list[Any] = []
    ran1: list[Any] = []
    bus0.serve(Channel.COMMANDS, answering("p0", ran0))
    bus1.serve(Channel.COMMANDS, answering("p1", ran1))
    command = volume(GUILD_1, 80)

    result = await bus0.request(Channel.COMMANDS, command, timeout=2)

    assert result == ac.Done(Text("SetVolume 80 by p1"))
    assert ran0 == []
    assert ran1 == [(command, command.correlation_id)]


async def test_own_guilds_stay_in_process(make_bus: BusFactory) -> None:
    """A guild of this process's shard is served by the local handler."""
    bus0 = await make_bus(0)
    bus0.serve(Channel.COMMANDS, answering("p0"))
    result = await bus0.request(Channel.COMMANDS, volume(GUILD_0), timeout=1)
    assert result.message == "SetVolume 50 by p0"


async def test_owner_observers_see_remote_commands(make_bus: BusFactory) -> None:
    """The owner's subscribers of the commands channel (audit) see a command from elsewhere."""
    bus0, bus1 = await make_bus(0), await make_bus(1)
    bus1.serve(Channel.COMMANDS, answering("p1"))
    audited: list[Any] = []

    async def audit(command: Any) -> None:
        audited.append(command)

    bus1.subscribe(Channel.COMMANDS, audit, name="audit")
    command = volume(GUILD_1)
    await bus0.request(Channel.COMMANDS, command, timeout=2)
    await bus1.drain()
    assert audited == [command]


@pytest.mark.parametrize(
    "error",
    [NotInVoice(), RateLimited(4.2), QueueFull(500), UserError("You need to be in <#9>.")],
    ids=["not-in-voice", "rate-limited", "queue-full", "user-error"],
)
async def test_user_errors_come_back_as_themselves(make_bus: BusFactory, error: UserError) -> None:
    """A refusal on the owner reaches the caller with its type and message."""
    bus0, bus1 = await make_bus(0), await make_bus(1)

    async def refuse(_command: Any) -> None:
        raise error

    bus1.serve(Channel.COMMANDS, refuse)
    with pytest.raises(type(error)) as caught:
        await bus0.request(Channel.COMMANDS, volume(GUILD_1), timeout=2)
    assert caught.value.message == error.message
    assert str(caught.value) == str(error)
    if isinstance(error, RateLimited):
        assert isinstance(caught.value, RateLimited)
        assert caught.value.retry_after == 4.2


async def test_unexpected_errors_become_a_remote_error_without_details(
    make_bus: BusFactory,
) -> None:
    """A crash on the owner is a RemoteError for the caller; its text stays in the owner's log."""
    bus0, bus1 = await make_bus(0), await make_bus(1)

    async def crash(_command: Any) -> None:
        raise RuntimeError("internal detail: /srv/secret")

    bus1.serve(Channel.COMMANDS, crash)
    with pytest.raises(RemoteError) as caught:
        await bus0.request(Channel.COMMANDS, volume(GUILD_1), timeout=2)
    assert "secret" not in str(caught.value)


async def test_owner_without_handler_says_no_handler(make_bus: BusFactory) -> None:
    """The owner is up but its audio side is not loaded: NoHandler, as in-process."""
    bus0 = await make_bus(0)
    await make_bus(1)
    with pytest.raises(NoHandler):
        await bus0.request(Channel.COMMANDS, volume(GUILD_1), timeout=2)


async def test_slow_owner_gives_bus_timeout_and_still_finishes(make_bus: BusFactory) -> None:
    """The caller's timeout holds across processes; the owner completes the command anyway."""
    bus0, bus1 = await make_bus(0), await make_bus(1)
    finished = asyncio.Event()

    async def slow(_command: Any) -> ac.Done:
        await asyncio.sleep(0.5)
        finished.set()
        return ac.Done(Text("late"))

    bus1.serve(Channel.COMMANDS, slow)
    started = time.monotonic()
    with pytest.raises(BusTimeout):
        await bus0.request(Channel.COMMANDS, volume(GUILD_1), timeout=0.2)
    assert time.monotonic() - started < 0.45
    await asyncio.wait_for(finished.wait(), 2)


async def test_shard_without_a_process_is_unreachable(make_bus: BusFactory) -> None:
    """No process serves shard 1: a clear error at once, not a timeout."""
    bus0 = await make_bus(0)
    started = time.monotonic()
    with pytest.raises(ShardUnreachable) as caught:
        await bus0.request(Channel.COMMANDS, volume(GUILD_1), timeout=5)
    assert time.monotonic() - started < 1
    assert "The process for this server is unreachable" in caught.value.message
    assert isinstance(caught.value, ServiceUnavailable)  # users and the API read the message


async def test_redis_going_away_and_coming_back(make_bus: BusFactory) -> None:
    """Cut: cross-process commands fail fast, local ones work; restored: all work again."""
    async with TcpProxy(REDIS_PORT) as proxy:
        bus0 = await make_bus(0, url=proxy_url(proxy.port))
        bus1 = await make_bus(1)
        bus0.serve(Channel.COMMANDS, answering("p0"))
        bus1.serve(Channel.COMMANDS, answering("p1"))
        assert (await bus0.request(Channel.COMMANDS, volume(GUILD_1), timeout=2)).message.endswith(
            "p1"
        )

        await proxy.cut()
        await eventually(lambda: not bus0.connected, timeout=2)
        started = time.monotonic()
        with pytest.raises(ShardUnreachable):
            await bus0.request(Channel.COMMANDS, volume(GUILD_1), timeout=5)
        assert time.monotonic() - started < 0.2
        local = await bus0.request(Channel.COMMANDS, volume(GUILD_0), timeout=1)
        assert local.message.endswith("p0")

        await proxy.restore()
        await eventually(lambda: bus0.connected, timeout=5)
        again = await bus0.request(Channel.COMMANDS, volume(GUILD_1, 10), timeout=2)
        assert again.message == "SetVolume 10 by p1"


async def test_waiting_request_fails_when_redis_goes_away(make_bus: BusFactory) -> None:
    """A command waiting for its answer fails as soon as the connection is lost."""
    async with TcpProxy(REDIS_PORT) as proxy:
        bus0 = await make_bus(0, url=proxy_url(proxy.port))
        bus1 = await make_bus(1)

        async def slow(_command: Any) -> ac.Done:
            await asyncio.sleep(3)
            return ac.Done(Text("late"))

        bus1.serve(Channel.COMMANDS, slow)
        waiting = asyncio.create_task(bus0.request(Channel.COMMANDS, volume(GUILD_1), timeout=10))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await proxy.cut()
        with pytest.raises(ShardUnreachable):
            await waiting
        assert time.monotonic() - started < 1


async def test_silent_redis_is_noticed_by_the_heartbeat(make_bus: BusFactory) -> None:
    """A Redis that accepts connections and never answers counts as gone."""
    async with TcpProxy(REDIS_PORT) as proxy:
        bus0 = await make_bus(0, url=proxy_url(proxy.port), heartbeat=0.1)
        await make_bus(1)
        await proxy.cut(hold=True)
        await eventually(lambda: not bus0.connected, timeout=2)
        with pytest.raises(ShardUnreachable):
            await bus0.request(Channel.COMMANDS, volume(GUILD_1), timeout=5)
        await proxy.restore()
        await eventually(lambda: bus0.connected, timeout=5)


async def test_start_without_redis_keeps_local_commands(make_bus: BusFactory) -> None:
    """Redis down at start: the process starts, serves its own guilds, and joins later."""
    async with TcpProxy(REDIS_PORT) as proxy:
        await proxy.cut()
        bus0 = await make_bus(0, url=proxy_url(proxy.port), connect_timeout=0.1)
        assert not bus0.connected
        bus0.serve(Channel.COMMANDS, answering("p0"))
        assert (await bus0.request(Channel.COMMANDS, volume(GUILD_0), timeout=1)).message
        with pytest.raises(ShardUnreachable):
            await bus0.request(Channel.COMMANDS, volume(GUILD_1), timeout=1)
        await proxy.restore()
        await eventually(lambda: bus0.connected, timeout=5)


async def test_unreadable_requests_are_ignored(make_bus: BusFactory, prefix: str) -> None:
    """Garbage on a shard channel is logged and dropped; the owner keeps serving."""
    bus0, bus1 = await make_bus(0), await make_bus(1)
    bus1.serve(Channel.COMMANDS, answering("p1"))
    client = Redis.from_url(REDIS_URL)
    try:
        for junk in (b"not json", b'{"id": 1}', b'{"id":"x","reply_to":"r","timeout":1,'
                     b'"message":{"$dc":"os:system","f":{}}}'):  # fmt: skip
            await client.publish(bus1.shard_channel(1), junk)
    finally:
        await client.aclose()
    assert (await bus0.request(Channel.COMMANDS, volume(GUILD_1), timeout=2)).message


async def test_other_channels_stay_in_process(make_bus: BusFactory) -> None:
    """Publish/subscribe is local: a now-playing update reaches this process's subscribers."""
    bus0 = await make_bus(0)
    got: list[Any] = []

    async def on_update(update: Any) -> None:
        got.append(update)

    bus0.subscribe(Channel.UI_NOW, on_update, name="board")
    update = NowPlayingUpdate(guild_id=GUILD_1, reason="test")
    await bus0.publish(Channel.UI_NOW, update)
    await bus0.drain()
    assert got == [update]


async def test_guild_directory_names_other_processes_guilds(make_bus: BusFactory) -> None:
    """A guild announced by its owner is known to the others, even those started later."""
    bus0, bus1 = await make_bus(0), await make_bus(1)
    announced = GuildRef(id=GUILD_1, name="Guild B", voice_channel_id=77)
    await bus1.directory.announce(announced)
    await eventually(lambda: bus0.directory.remote(GUILD_1) == announced)
    assert bus1.directory.remote(GUILD_1) is None  # its own guilds come from its cache

    late = await make_bus(0)
    await eventually(lambda: late.directory.remote(GUILD_1) == announced)

    await bus1.directory.forget(GUILD_1)
    await eventually(lambda: bus0.directory.remote(GUILD_1) is None)


async def test_guilds_are_announced_again_after_reconnecting(make_bus: BusFactory) -> None:
    """An owner that was cut off announces its guilds once Redis is back."""
    async with TcpProxy(REDIS_PORT) as proxy:
        bus0 = await make_bus(0)
        bus1 = await make_bus(1, url=proxy_url(proxy.port))
        voice: list[int | None] = [None]
        bus1.directory.serve_from(
            lambda: [GuildRef(id=GUILD_1, name="Guild B", voice_channel_id=voice[0])]
        )
        await proxy.cut()
        await eventually(lambda: not bus1.connected)
        voice[0] = 99  # the bot moved while Redis was unreachable
        await bus1.directory.announce(GuildRef(id=GUILD_1, name="Guild B", voice_channel_id=99))
        await proxy.restore()
        await eventually(lambda: bus1.connected)
        await eventually(
            lambda: (
                (ref := bus0.directory.remote(GUILD_1)) is not None and ref.voice_channel_id == 99
            )
        )


async def test_closed_bus_refuses(make_bus: BusFactory) -> None:
    """After close, a request raises like the in-process bus does."""
    bus0: RedisBus = await make_bus(0)
    await bus0.close()
    from bot.bus import BusClosed

    with pytest.raises(BusClosed):
        await bus0.request(Channel.COMMANDS, volume(GUILD_1), timeout=1)
