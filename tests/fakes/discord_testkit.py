"""Helpers for tests that run a real discord.py client against FakeDiscord."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord
from discord.ext import commands

from .discord import Channel, FakeDiscord, Guild, Member, point_discord_py_at


class FastClient(discord.Client):
    """discord.Client without the 5 s sleep discord.py's before_identify_hook does before
    every non-initial IDENTIFY (after op 9 d:false)."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


class FastShardedBot(commands.AutoShardedBot):
    """AutoShardedBot without that sleep (discord.py sleeps before shard 1's IDENTIFY too)."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def make_client(intents: discord.Intents | None = None, **kw: Any) -> FastClient:
    return FastClient(intents=intents or discord.Intents.default(), guild_ready_timeout=0.1,
                      **kw)


@contextlib.asynccontextmanager
async def fake_discord(**kw: Any) -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord with discord.py pointed at it (restored afterwards)."""
    async with FakeDiscord(**kw) as fake:
        restore = point_discord_py_at(fake.api_base)
        try:
            yield fake
        finally:
            restore()


@dataclass
class World:
    fake: FakeDiscord
    guild: Guild
    text: Channel
    voice: Channel
    alice: Member
    bob: Member


def build_world(fake: FakeDiscord, name: str = "Test Guild") -> World:
    guild = fake.add_guild(name)
    return World(fake, guild, guild.add_text_channel("general"),
                 guild.add_voice_channel("Music"), guild.add_member("alice"),
                 guild.add_member("bob"))


@contextlib.asynccontextmanager
async def running(client: discord.Client, token: str, timeout: float = 5.0,
                  ) -> AsyncIterator[discord.Client]:
    """Log the client in, connect, wait for on_ready; close it cleanly afterwards."""
    await client.login(token)
    task = asyncio.create_task(client.connect())
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
            raise RuntimeError("client.connect() returned before READY")
        if ready not in done:
            raise TimeoutError("client did not become ready")
        yield client
    finally:
        ready.cancel()
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5.0)


class Recorder:
    """Collects event payloads and lets a test await the n-th one (no sleeps)."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._waiters: list[asyncio.Future[None]] = []

    def add(self, item: Any) -> None:
        self.items.append(item)
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait(self, n: int = 1, timeout: float = 5.0) -> list[Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.items) < n:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"only {len(self.items)} of {n} events arrived")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, remaining)
        return self.items


def voice_listener(rec: Recorder) -> Any:
    """on_voice_state_update recording (member id, before channel id, after channel id):
    discord.py mutates the VoiceState objects later, so record ids at event time."""

    async def on_voice_state_update(member: discord.Member, before: discord.VoiceState,
                                    after: discord.VoiceState) -> None:
        rec.add((member.id, before.channel and before.channel.id,
                 after.channel and after.channel.id))

    return on_voice_state_update


def ready_listener(rec: Recorder) -> Any:
    async def on_ready() -> None:
        rec.add(True)

    return on_ready


class RecordingVoiceProtocol(discord.VoiceProtocol):
    """A minimal VoiceProtocol (what mafic.Player is): records the two gateway events."""

    instances: list[RecordingVoiceProtocol] = []

    def __init__(self, client: discord.Client, channel: discord.abc.Connectable) -> None:
        super().__init__(client, channel)
        self.states: list[dict[str, Any]] = []
        self.servers: list[dict[str, Any]] = []
        self.both = asyncio.Event()
        RecordingVoiceProtocol.instances.append(self)

    async def on_voice_state_update(self, data: Any) -> None:
        self.states.append(data)
        if self.servers:
            self.both.set()

    async def on_voice_server_update(self, data: Any) -> None:
        self.servers.append(data)
        if self.states:
            self.both.set()

    async def connect(self, *, timeout: float, reconnect: bool, self_deaf: bool = False,
                      self_mute: bool = False) -> None:
        guild = self.channel.guild  # type: ignore[attr-defined]
        await guild.change_voice_state(channel=self.channel, self_deaf=self_deaf,
                                       self_mute=self_mute)
        await asyncio.wait_for(self.both.wait(), timeout)

    async def disconnect(self, *, force: bool = False) -> None:
        guild = self.channel.guild  # type: ignore[attr-defined]
        await guild.change_voice_state(channel=None)
        self.cleanup()
