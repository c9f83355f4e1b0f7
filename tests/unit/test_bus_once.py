"""Requests run at most once: not after their caller gave up, not twice for one command id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from prometheus_client import REGISTRY

from bot.bus import BusTimeout, Channel, EventBus, RequestExpired, check_deadline
from bot.messages import Command


@dataclass(frozen=True, kw_only=True)
class Add(Command):
    item: str = ""


def metric(status: str) -> float:
    value = REGISTRY.get_sample_value(
        "bus_operations_total",
        {"channel": Channel.COMMANDS.value, "operation": "request", "status": status},
    )
    return value or 0.0


@pytest.fixture
async def bus() -> AsyncIterator[EventBus]:
    b = EventBus()
    yield b
    await b.close(grace=0.1)


def queue_service(bus: EventBus, *, gate: asyncio.Event | None = None) -> list[str]:
    """A handler that waits for `gate` (like a guild lock), then appends to the queue it returns."""
    queue: list[str] = []

    async def handle(command: Add) -> int:
        if gate is not None:
            await gate.wait()
        check_deadline()
        queue.append(command.item)
        return len(queue)

    bus.serve(Channel.COMMANDS, handle)
    return queue


async def test_a_request_blocked_past_its_timeout_never_runs(bus: EventBus) -> None:
    """The caller gets BusTimeout; the handler, unblocked later, changes nothing."""
    gate = asyncio.Event()
    queue = queue_service(bus, gate=gate)
    expired = metric("expired")
    with pytest.raises(BusTimeout):
        await bus.request(Channel.COMMANDS, Add(guild_id=1, user_id=2, item="a"), timeout=0.05)
    gate.set()
    await bus.settle()
    assert queue == []
    assert metric("expired") == expired + 1


async def test_a_request_that_could_not_start_in_time_is_dropped(bus: EventBus) -> None:
    """The loop was busy past the deadline before the handler began: it is not run at all."""
    ran: list[Add] = []

    async def handle(command: Add) -> None:
        ran.append(command)

    bus.serve(Channel.COMMANDS, handle)
    with pytest.raises(BusTimeout):
        await bus.request(Channel.COMMANDS, Add(guild_id=1, user_id=2), timeout=0)
    await bus.settle()
    assert ran == []


async def test_the_same_command_id_twice_runs_once(bus: EventBus) -> None:
    """A command delivered again is answered with the first answer."""
    queue = queue_service(bus)
    replayed = metric("replayed")
    first = await bus.request(
        Channel.COMMANDS, Add(guild_id=1, user_id=2, item="a", command_id="123"), timeout=1
    )
    again = await bus.request(
        Channel.COMMANDS, Add(guild_id=1, user_id=2, item="a", command_id="123"), timeout=1
    )
    assert queue == ["a"] and first == again == 1
    assert metric("replayed") == replayed + 1


async def test_the_same_command_id_while_it_runs_waits_for_it(bus: EventBus) -> None:
    """A second delivery during the first run shares that run."""
    entered, gate = asyncio.Event(), asyncio.Event()
    runs: list[str] = []

    async def handle(command: Add) -> int:
        runs.append(command.item)
        entered.set()
        await gate.wait()
        return len(runs)

    bus.serve(Channel.COMMANDS, handle)
    command = Add(guild_id=1, user_id=2, item="a", command_id="124")
    first = asyncio.ensure_future(bus.request(Channel.COMMANDS, command, timeout=1))
    await entered.wait()
    second = asyncio.ensure_future(bus.request(Channel.COMMANDS, command, timeout=1))
    gate.set()
    assert await first == await second == 1
    assert runs == ["a"]


async def test_commands_without_an_id_or_with_other_ids_each_run(bus: EventBus) -> None:
    """Only the same id is a repeat."""
    queue = queue_service(bus)
    for command_id in (None, None, "1", "2"):
        await bus.request(
            Channel.COMMANDS, Add(guild_id=1, user_id=2, item="a", command_id=command_id), timeout=1
        )
    assert queue == ["a"] * 4


async def test_a_failed_command_may_run_again(bus: EventBus) -> None:
    """Only answers are remembered: a command that failed (changed nothing) runs when repeated."""
    attempts: list[int] = []

    async def flaky(_command: Add) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RequestExpired("too late")
        return "done"

    bus.serve(Channel.COMMANDS, flaky)
    command = Add(guild_id=1, user_id=2, command_id="125")
    with pytest.raises(RequestExpired):
        await bus.request(Channel.COMMANDS, command, timeout=1)
    assert await bus.request(Channel.COMMANDS, command, timeout=1) == "done"
    assert len(attempts) == 2
