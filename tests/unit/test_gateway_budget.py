"""GatewayBudget: at most `limit` slots per shard in any window, waiters served in order."""

from __future__ import annotations

import asyncio

import pytest

from bot.gateway_budget import GatewayBudget


class FakeTime:
    """A clock that only moves when the budget sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def budget(limit: int, time: FakeTime) -> GatewayBudget:
    return GatewayBudget(limit, window_s=60.0, clock=time.clock, sleep=time.sleep)


async def test_slots_within_the_limit_are_taken_at_once() -> None:
    """Up to the limit, nobody waits."""
    time = FakeTime()
    b = budget(3, time)
    for _ in range(3):
        await b.acquire(0)
    assert time.sleeps == []


async def test_the_next_slot_waits_for_the_oldest_to_leave_the_window() -> None:
    """Past the limit, a slot frees up one window after the oldest one was taken."""
    time = FakeTime()
    b = budget(2, time)
    await b.acquire(0)
    time.now = 10.0
    await b.acquire(0)
    await b.acquire(0)
    assert time.now == 60.0
    await b.acquire(0)
    assert time.now == 70.0


async def test_shards_have_budgets_of_their_own() -> None:
    """A full shard does not hold back another one."""
    time = FakeTime()
    b = budget(1, time)
    await b.acquire(0)
    await b.acquire(1)
    assert time.sleeps == []


async def test_waiters_are_served_in_order() -> None:
    """Concurrent waiters get their slots in the order they asked."""
    time = FakeTime()
    b = budget(1, time)
    order: list[int] = []

    async def take(n: int) -> None:
        await b.acquire(0)
        order.append(n)

    await asyncio.gather(*(take(n) for n in range(4)))
    assert order == [0, 1, 2, 3]
    assert time.now == 180.0


def test_a_budget_without_slots_is_refused() -> None:
    """A limit below one would block every join forever."""
    with pytest.raises(ValueError):
        GatewayBudget(0)
