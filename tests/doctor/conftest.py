"""A self-hoster's world for the doctor: fake Discord, fake Lavalink with plugins, SQLite."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from bot.db import Database
from bot.doctor import run_doctor
from tests.fakes.discord import FakeDiscord
from tests.fakes.lavalink import FakeLavalink

LAVALINK_PASSWORD = "lavalink-secret-pw-4242"
FULL_PLUGINS = [
    {"name": "youtube-plugin", "version": "1.13.5"},
    {"name": "lavasrc-plugin", "version": "4.8.3"},
    {"name": "lavasearch-plugin", "version": "1.0.0"},
    {"name": "sponsorblock-plugin", "version": "3.0.1"},
    {"name": "lavalyrics-plugin", "version": "1.0.0"},
]


@dataclass
class Outcome:
    """What `python -m bot doctor` printed and its exit code."""

    code: int
    output: str

    def line(self, start: str) -> str:
        """The first line starting with `start` (after the status mark)."""
        for line in self.output.splitlines():
            if line[2:].startswith(start):
                return line
        raise AssertionError(f"no line for {start!r} in:\n{self.output}")

    def fix_after(self, start: str) -> str:
        """The fix printed under the check starting with `start`."""
        lines = self.output.splitlines()
        index = lines.index(self.line(start))
        following = lines[index + 1] if index + 1 < len(lines) else ""
        assert following.startswith("    fix: "), f"no fix under {start!r}:\n{self.output}"
        return following


@dataclass
class Setup:
    """Both fakes, a data directory, and the config the doctor reads."""

    discord: FakeDiscord
    lavalink: FakeLavalink
    tmp_path: Path
    token: str = ""
    nodes: list[dict[str, Any]] = field(default_factory=list)
    database_url: str | None = None
    auto_upgrade: bool = True
    extra_toml: str = ""
    discord_toml: str = ""

    def __post_init__(self) -> None:
        self.token = self.discord.token
        self.nodes = [{**self.lavalink.node_config(), "label": "main"}]

    @property
    def sqlite_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.tmp_path / 'data' / 'bot.db'}"

    def write_config(self) -> Path:
        """config.toml as a self-hoster writes it (JSON strings are valid TOML strings)."""
        nodes = ", ".join(
            "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in node.items()) + " }"
            for node in self.nodes
        )
        lines = [
            f"data_dir = {json.dumps(str(self.tmp_path / 'data'))}",
            self.extra_toml,
            "[discord]",
            f"token = {json.dumps(self.token)}",
            f"api_base = {json.dumps(self.discord.api_base)}",
            self.discord_toml,
            "[lavalink]",
            f"nodes = [{nodes}]",
            "[database]",
            f"auto_upgrade = {json.dumps(self.auto_upgrade)}",
        ]
        if self.database_url is not None:
            lines.append(f"url = {json.dumps(self.database_url)}")
        path = self.tmp_path / "config.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def secrets(self) -> list[str]:
        return [self.token, self.discord.token, LAVALINK_PASSWORD] + [
            str(n["password"]) for n in self.nodes
        ]

    async def upgrade_database(self) -> None:
        """Bring the SQLite file to the newest migration, as a started bot would."""
        db = Database(self.sqlite_url)
        await db.connect()
        try:
            await db.upgrade()
        finally:
            await db.close()

    async def run(self) -> Outcome:
        """Run the doctor on the config; no secret may appear in what it prints."""
        out = io.StringIO()
        code = await run_doctor(self.write_config(), out)
        outcome = Outcome(code, out.getvalue())
        for secret in self.secrets():
            assert secret not in outcome.output, "the doctor printed a secret"
        return outcome


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    """Everything right: Lavalink 4.1.1 with all plugins and the test song, DB at head."""
    logger.remove()
    async with (
        FakeDiscord() as discord,
        FakeLavalink(password=LAVALINK_PASSWORD, plugins=FULL_PLUGINS) as lavalink,
    ):
        lavalink.add_track(title="Never Gonna Give You Up", author="Rick Astley", length=213_000)
        world = Setup(discord, lavalink, tmp_path)
        await world.upgrade_database()
        yield world
