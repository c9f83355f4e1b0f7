"""Run the real bot (`MusicBot`, as `python -m bot run` builds it) against the two fakes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mafic
from pydantic import SecretStr

from bot.app import MusicBot
from bot.settings import LavalinkSettings, Settings
from tests.fakes.discord import FakeDiscord, restore_discord_py
from tests.fakes.discord_interactions import Interaction
from tests.fakes.discord_models import Channel, Guild, Member
from tests.fakes.lavalink import FakeLavalink
from tests.fakes.lavalink_testkit import reset_mafic_node_pool

READY_TIMEOUT = 10.0


@dataclass
class GuildWorld:
    """One guild of the fake world with a text channel, two voice channels and members."""

    guild: Guild
    text: Channel
    voice: Channel
    other_voice: Channel
    alice: Member
    bob: Member


def build_guild(fake: FakeDiscord, name: str, guild_id: int | None = None) -> GuildWorld:
    """A guild where the bot may connect and speak (with a chosen id, e.g. for its shard)."""
    guild = fake.add_guild(name, guild_id)
    return GuildWorld(
        guild=guild,
        text=guild.add_text_channel("music"),
        voice=guild.add_voice_channel("Lounge"),
        other_voice=guild.add_voice_channel("Gaming"),
        alice=guild.add_member("alice"),
        bob=guild.add_member("bob"),
    )


def bot_settings(
    discord_fake: FakeDiscord, lavalink: FakeLavalink, data_dir: Path, **overrides: Any
) -> Settings:
    """Settings that point the bot at the fakes, with a private SQLite file.

    `overrides` are per-section updates, e.g. `limits={"idle_disconnect_s": 0.2}`.
    """
    base = Settings()
    update: dict[str, Any] = {
        "data_dir": data_dir,
        "discord": base.discord.model_copy(
            update={
                "token": SecretStr(discord_fake.token),
                "api_base": discord_fake.api_base,
                "guild_ready_timeout": 0.05,
            }
        ),
        "lavalink": LavalinkSettings.model_validate(
            {"nodes": [lavalink.node_config()], "health_check_interval": 0.1}
        ),
        "api": base.api.model_copy(update={"enabled": False}),
        "database": base.database.model_copy(update={"flush_interval": 0.05}),
        # Tests run many commands quickly; the rate limit has its own test.
        "limits": base.limits.model_copy(
            update={"commands_per_user_per_10s": 1000, "now_playing_min_edit_s": 0.02}
        ),
    }
    for section, values in overrides.items():
        update[section] = update.get(section, getattr(base, section)).model_copy(update=values)
    return base.model_copy(update=update)


LOADING = 1 << 7


async def answer(interaction: Interaction, timeout: float = 5.0) -> dict[str, Any]:
    """The newest message answering the interaction (original response, done thinking, or a
    follow-up), with an `ephemeral` key."""

    def seen(i: Interaction) -> dict[str, Any] | None:
        original = i.final_message()
        shown = [original] if original and not original["flags"] & LOADING else []
        shown += i.followup_messages()
        return shown[-1] if shown else None

    return await interaction.wait_for(seen, timeout, "an answer")


@dataclass
class RunningBot:
    """A started bot and the task running its gateway connection."""

    bot: MusicBot
    task: asyncio.Task[None]

    async def stop(self) -> None:
        """A clean shutdown, as on SIGTERM."""
        await self.bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def kill(self) -> None:
        """Die without saving: whatever is not in the database yet is lost, as with kill -9."""
        audio = self.bot.get_cog("audio")
        persistence = getattr(audio, "persistence", None)
        if persistence is not None:
            persistence.abandon()
        await self.stop()


async def start_bot(settings: Settings) -> RunningBot:
    """Start the bot like `python -m bot run` does and wait until it is ready with a node."""
    reset_mafic_node_pool()
    bot = MusicBot(settings)
    token = settings.discord.token.get_secret_value() if settings.discord.token else ""
    node_ready = asyncio.get_running_loop().create_future()

    async def on_node_ready(_node: mafic.Node[Any]) -> None:
        if not node_ready.done():
            node_ready.set_result(None)

    bot.add_listener(on_node_ready, "on_node_ready")
    task = asyncio.create_task(bot.start(token), name="bot-under-test")
    ready = asyncio.ensure_future(asyncio.gather(bot.wait_until_ready(), node_ready))
    done, _ = await asyncio.wait(
        {task, ready}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
    )
    if ready not in done:
        ready.cancel()
        await bot.close()
        if task in done:
            task.result()
        raise TimeoutError("the bot did not become ready with a Lavalink node")
    bot.remove_listener(on_node_ready, "on_node_ready")
    return RunningBot(bot, task)


@dataclass
class Harness:
    """Both fakes, a world, and the bot under test."""

    discord: FakeDiscord
    lavalink: FakeLavalink
    data_dir: Path
    world: GuildWorld
    running: RunningBot | None = None
    extra_guilds: list[GuildWorld] = field(default_factory=list)

    @property
    def bot(self) -> MusicBot:
        assert self.running is not None
        return self.running.bot

    def settings(self, **overrides: Any) -> Settings:
        """Settings for a bot pointed at these fakes."""
        return bot_settings(self.discord, self.lavalink, self.data_dir, **overrides)

    async def start(self, **overrides: Any) -> MusicBot:
        """Start (or restart) the bot."""
        self.running = await start_bot(self.settings(**overrides))
        return self.running.bot

    async def slash(
        self,
        name: str,
        *,
        user: Member | None = None,
        world: GuildWorld | None = None,
        locale: str = "en-US",
        **options: Any,
    ) -> Interaction:
        """Run /name as `user` (alice by default) in the world's text channel, with the
        user's Discord language `locale`."""
        w = world or self.world
        return await self.discord.slash(
            name,
            user=user or w.alice,
            guild=w.guild,
            channel=w.text,
            options={k: v for k, v in options.items() if v is not None},
            locale=locale,
        )

    async def reply(self, name: str, **kwargs: Any) -> dict[str, Any]:
        """Run a slash command and return the answer the user sees (see `answer`)."""
        return await answer(await self.slash(name, **kwargs))

    def add_tracks(self, count: int, *, length: int = 180_000, prefix: str = "t") -> list[str]:
        """Add `count` tracks to the Lavalink catalogue; returns their URLs."""
        urls = []
        for i in range(1, count + 1):
            url = f"https://example.com/{prefix}{i}"
            self.lavalink.add_track(
                title=f"Track {prefix.upper()}{i}",
                author=f"Artist {i}",
                length=length,
                identifier=f"{prefix}{i}",
                uri=url,
            )
            urls.append(url)
        return urls

    def mark(self) -> int:
        """A point in Lavalink's request log, for `since=`."""
        return len(self.lavalink.requests)

    async def player_patch(
        self, check: Any, *, since: int = 0, guild: GuildWorld | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Wait for a PATCH of the guild's player whose JSON body satisfies `check(body)`."""
        gid = (guild or self.world).guild.id

        def matches(request: Any) -> bool:
            return (
                request.method == "PATCH"
                and request.path.endswith(f"/players/{gid}")
                and isinstance(request.json, dict)
                and bool(check(request.json))
            )

        request = await self.lavalink.wait_for_request(path=matches, since=since, timeout=timeout)
        return request.json

    async def playing(
        self, identifier: str, *, guild: GuildWorld | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Wait until Lavalink's player in the guild plays the track `identifier`."""
        gid = (guild or self.world).guild.id
        await self.lavalink.wait_for_event(
            "TrackStartEvent",
            guild_id=gid,
            timeout=timeout,
            predicate=lambda e: e["track"]["info"]["identifier"] == identifier,
        )
        player = self.lavalink.player(gid)
        assert player is not None
        return player

    async def join(
        self,
        member: Member | None = None,
        channel: Channel | None = None,
        world: GuildWorld | None = None,
    ) -> None:
        """Put a member in a voice channel (alice in Lounge by default)."""
        w = world or self.world
        await self.discord.join_voice(w.guild, member or w.alice, channel or w.voice)


@contextlib.asynccontextmanager
async def harness(
    tmp_path: Path,
    *,
    clock_speed: float = 1.0,
    player_update_interval: float = 5.0,
    start: bool = True,
    **overrides: Any,
) -> AsyncIterator[Harness]:
    """Fakes up, world built, bot started; everything torn down afterwards."""
    async with (
        FakeDiscord() as discord_fake,
        FakeLavalink(
            clock_speed=clock_speed, player_update_interval=player_update_interval
        ) as lavalink,
    ):
        h = Harness(discord_fake, lavalink, tmp_path / "data", build_guild(discord_fake, "Guild A"))
        try:
            if start:
                await h.start(**overrides)
            yield h
        finally:
            if h.running is not None:
                await h.running.stop()
            reset_mafic_node_pool()
            restore_discord_py()
        discord_fake.assert_no_errors()
