"""`discord-bot:ui:now` mirrored over the real Redis: every process's board shows every guild."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis

from bot.api.board import NowPlayingBoard
from bot.bus import Channel
from bot.bus_codec import encode
from bot.bus_redis import RedisBus
from bot.messages import NowPlayingUpdate
from bot.music.state import NowPlayingState
from bot.music.track import QueuedTrack
from bot.now_playing_mirror import _advanced
from tests.redis.conftest import REDIS_URL, SHARDS, BusFactory, guild_on

GUILD_0, GUILD_1 = guild_on(0), guild_on(1)
TRACK = QueuedTrack(
    encoded="e-1", title="Song", author="Artist", length_ms=200_000, uri=None, requester_id=7
)


def playing(guild_id: int, position_ms: int = 1_000, paused: bool = False) -> NowPlayingUpdate:
    state = NowPlayingState(
        guild_id=guild_id, track=TRACK, position_ms=position_ms, paused=paused, queue_length=3
    )
    return NowPlayingUpdate(guild_id=guild_id, reason="track_start", state=state)


class Page:
    """A process's board, and a way to wait until a guild's entry changes."""

    def __init__(self, bus: RedisBus) -> None:
        self.board = NowPlayingBoard()
        bus.subscribe(Channel.UI_NOW, self.board.on_update, name="board", remote=True)
        self._listening = self.board.listen()
        self.listener = self._listening.__enter__()

    async def change(self, guild_id: int) -> None:
        """Wait for the next change of `guild_id` on the board."""
        while True:
            changed = await self.listener.next(timeout=5)
            assert changed is not None, f"guild {guild_id} did not change on the board"
            if changed == guild_id:
                return

    def close(self) -> None:
        self._listening.__exit__(None, None, None)


@asynccontextmanager
async def page_first(shard: int, prefix: str) -> AsyncIterator[Page]:
    """A process whose board listens before it connects (it sees the initial load)."""
    bus = RedisBus(
        url=REDIS_URL, shard_count=SHARDS, shard_ids=[shard], prefix=prefix, connect_timeout=0.5
    )
    page = Page(bus)
    await bus.start()
    try:
        yield page
    finally:
        page.close()
        await bus.close(grace=1.0)


async def test_a_guild_playing_in_one_process_is_on_the_others_board(
    make_bus: BusFactory,
) -> None:
    """Process 0 publishes; process 1's board has the state, its gateway-side subscriber not."""
    bus0, bus1 = await make_bus(0), await make_bus(1)
    page = Page(bus1)
    gateway_saw: list[NowPlayingUpdate] = []

    async def gateway(update: NowPlayingUpdate) -> None:
        gateway_saw.append(update)

    gateway_sub = bus1.subscribe(Channel.UI_NOW, gateway, name="now-playing")

    await bus0.publish(Channel.UI_NOW, playing(GUILD_0))
    await page.change(GUILD_0)

    entry = page.board.get(GUILD_0)
    assert entry is not None and entry.state.track == TRACK
    assert entry.state.queue_length == 3 and entry.state.position_ms >= 1_000
    assert gateway_saw == [] and gateway_sub.queue.qsize() == 0
    page.close()


async def test_a_guild_that_stops_leaves_the_other_boards(make_bus: BusFactory) -> None:
    """A None state removes the guild from every board."""
    bus0, bus1 = await make_bus(0), await make_bus(1)
    page = Page(bus1)
    await bus0.publish(Channel.UI_NOW, playing(GUILD_0))
    await page.change(GUILD_0)

    await bus0.publish(Channel.UI_NOW, NowPlayingUpdate(guild_id=GUILD_0, reason="teardown"))
    await page.change(GUILD_0)

    assert page.board.get(GUILD_0) is None
    page.close()


async def test_a_process_started_later_sees_the_guilds_already_playing(
    make_bus: BusFactory, prefix: str
) -> None:
    """The newest state of each guild waits in Redis for processes that join afterwards."""
    bus0, bus1 = await make_bus(0), await make_bus(1)
    early = Page(bus1)
    await bus0.publish(Channel.UI_NOW, playing(GUILD_0, position_ms=5_000))
    await early.change(GUILD_0)

    async with page_first(1, prefix) as late:
        await late.change(GUILD_0)
        entry = late.board.get(GUILD_0)
        assert entry is not None and entry.state.position_ms >= 5_000
    early.close()


async def test_a_stopped_process_takes_its_guilds_off_the_boards(make_bus: BusFactory) -> None:
    """A clean stop removes the process's guilds from the others' pages."""
    bus0, bus1 = await make_bus(0), await make_bus(1)
    page = Page(bus1)
    await bus0.publish(Channel.UI_NOW, playing(GUILD_0))
    await page.change(GUILD_0)

    await bus0.close(grace=1.0)
    await page.change(GUILD_0)

    assert page.board.get(GUILD_0) is None
    page.close()


async def test_a_restarted_owner_drops_what_a_crashed_run_left(
    make_bus: BusFactory, prefix: str
) -> None:
    """An entry left by a run that never stopped cleanly goes when its shard's owner connects."""
    client = Redis.from_url(REDIS_URL)
    left = {"from": "crashed:1:0", "at": 0, "update": encode(playing(GUILD_0))}
    await client.hset(f"{prefix}discord-bot:ui:now", str(GUILD_0), json.dumps(left))  # type: ignore[misc]
    await client.aclose()

    async with page_first(1, prefix) as page:
        await page.change(GUILD_0)
        assert page.board.get(GUILD_0) is not None

        await make_bus(0)
        await page.change(GUILD_0)
        assert page.board.get(GUILD_0) is None


@pytest.mark.parametrize(
    ("update", "seconds", "expected"),
    [
        (playing(GUILD_0, 1_000), 2.5, 3_500),
        (playing(GUILD_0, 1_000, paused=True), 2.5, 1_000),
        (playing(GUILD_0, 199_000), 10.0, 200_000),
    ],
)
def test_a_state_read_later_has_moved_on(
    update: NowPlayingUpdate, seconds: float, expected: int
) -> None:
    """The position of a playing track is advanced by the time since it was sent."""
    state = _advanced(update, seconds).state
    assert state is not None and state.position_ms == expected
