"""Over Redis too, a command runs at most once: not after its caller gave up, not twice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import audio_commands as ac
from bot.bus import BusTimeout, Channel, check_deadline
from tests.redis.conftest import BusFactory, guild_on

GUILD_1 = guild_on(1)


def volume(level: int, command_id: str | None = None) -> ac.SetVolume:
    return ac.SetVolume(
        guild_id=GUILD_1, user_id=7, voice_channel_id=9, level=level, command_id=command_id
    )


def volume_service(gate: asyncio.Event | None = None) -> tuple[list[int], Any]:
    """The volumes set, and a handler that waits for `gate` before setting one."""
    levels: list[int] = []

    async def handle(command: ac.SetVolume) -> str:
        if gate is not None:
            await gate.wait()
        check_deadline()
        levels.append(command.level)
        return f"Volume {command.level} (change {len(levels)})"

    return levels, handle


async def test_a_command_its_caller_gave_up_on_never_runs_on_the_owner(
    make_bus: BusFactory,
) -> None:
    """The caller in process 0 times out; process 1, unblocked later, drops the command."""
    bus0, bus1 = await make_bus(0), await make_bus(1)
    gate = asyncio.Event()
    levels, handle = volume_service(gate)
    bus1.serve(Channel.COMMANDS, handle)
    with pytest.raises(BusTimeout):
        await bus0.request(Channel.COMMANDS, volume(80), timeout=0.2)
    gate.set()
    await bus1.settle()
    assert levels == []


async def test_the_same_command_id_from_another_process_runs_once(make_bus: BusFactory) -> None:
    """Sent twice across Redis, the command runs once and both answers are the first."""
    bus0, bus1 = await make_bus(0), await make_bus(1)
    levels, handle = volume_service()
    bus1.serve(Channel.COMMANDS, handle)
    first = await bus0.request(Channel.COMMANDS, volume(60, "991"), timeout=2)
    again = await bus0.request(Channel.COMMANDS, volume(60, "991"), timeout=2)
    assert levels == [60]
    assert first == again == "Volume 60 (change 1)"
