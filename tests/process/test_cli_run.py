"""`python -m bot run` as a process against the fakes: ready, SIGHUP reload, SIGTERM exit 0."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from tests.fakes.discord import FakeDiscord
from tests.fakes.lavalink import FakeLavalink

ROOT = Path(__file__).resolve().parents[2]


async def read_until(stream: asyncio.StreamReader, text: str, seen: list[str],
                     timeout: float = 15.0) -> None:
    """Read log lines until one contains `text`."""
    async with asyncio.timeout(timeout):
        while True:
            line = (await stream.readline()).decode(errors="replace")
            if not line:
                raise AssertionError(f"process ended before {text!r}; log:\n{''.join(seen)}")
            seen.append(line)
            if text in line:
                return


async def test_run_reload_and_sigterm(tmp_path: Path) -> None:
    """The CLI path: ready against the fakes, SIGHUP applies a new log level, SIGTERM exits 0."""
    async with FakeDiscord() as discord_fake, FakeLavalink() as lavalink:
        discord_fake.add_guild("G").add_text_channel("t")
        config = tmp_path / "config.toml"
        config.write_text('[logging]\nlevel = "INFO"\n[api]\nenabled = false\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
        env |= {
            "BOT_DISCORD__TOKEN": discord_fake.token,
            "BOT_DISCORD__API_BASE": discord_fake.api_base,
            "BOT_DISCORD__GUILD_READY_TIMEOUT": "0.05",
            "BOT_LAVALINK__NODES": json.dumps([lavalink.node_config()]),
            "BOT_DATA_DIR": str(tmp_path / "data"),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(config), "run",
            cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        seen: list[str] = []
        try:
            await read_until(process.stderr, "Lavalink node fake connected", seen)
            assert discord_fake.commands(), "slash commands were not synced"
            config.write_text('[logging]\nlevel = "DEBUG"\n[api]\nenabled = false\n')
            process.send_signal(signal.SIGHUP)
            await read_until(process.stderr, "applied: logging.level", seen)
            process.send_signal(signal.SIGTERM)
            await read_until(process.stderr, "stopped", seen)
            assert await asyncio.wait_for(process.wait(), 15) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        log = "".join(seen)
        assert discord_fake.token not in log
        assert "Traceback" not in log
