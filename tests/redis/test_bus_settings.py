"""The `[bus]` section: memory by default, Redis for several processes, secrets kept out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app import build_bus
from bot.bus import EventBus
from bot.bus_redis import RedisBus
from bot.settings import ConfigError, load_settings, masked_dump


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_the_in_process_bus_is_the_default(tmp_path: Path) -> None:
    """Without a [bus] section the bot keeps its in-process bus."""
    settings = load_settings(write(tmp_path, ""))
    assert settings.bus.backend == "memory"
    bus = build_bus(settings)
    assert type(bus) is EventBus


async def test_redis_backend_routes_by_the_configured_shards(tmp_path: Path) -> None:
    """`backend = "redis"` builds a RedisBus that owns this process's shards."""
    settings = load_settings(
        write(
            tmp_path,
            "[discord]\nshard_count = 4\nshard_ids = [1, 3]\n"
            '[bus]\nbackend = "redis"\nredis_url = "redis://127.0.0.1:6379/2"\n'
            'channel_prefix = "blue:"\n',
        )
    )
    bus = build_bus(settings)
    try:
        assert isinstance(bus, RedisBus)
        assert bus.shard_ids == {1, 3}
        assert bus.shard_channel(3) == "blue:discord-bot:commands:shard:3"
        assert bus.owns(1 << 22) and not bus.owns(2 << 22)
    finally:
        await bus.close()


def test_redis_backend_needs_the_shard_count(tmp_path: Path) -> None:
    """Routing needs shard_count; the error says which keys to set."""
    with pytest.raises(ConfigError, match=r"discord\.shard_count"):
        load_settings(write(tmp_path, '[bus]\nbackend = "redis"\n'))


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[bus]\nbackend = "kafka"\n', "bus.backend"),
        ('[bus]\nredis_url = "http://127.0.0.1"\n', "bus.redis_url"),
        ("[bus]\nconnect_timeout = 0\n", "bus.connect_timeout"),
        ("[bus]\nchannel = 1\n", "bus.channel"),
    ],
)
def test_bad_bus_settings_name_the_key(tmp_path: Path, text: str, named: str) -> None:
    """Each mistake in [bus] is reported with its key."""
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_settings(write(tmp_path, text))


def test_redis_password_is_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Redis password is redacted from logs and masked in check-config."""
    monkeypatch.setenv("BOT_BUS__REDIS_URL", "redis://:s3cret-pass@127.0.0.1:6379/0")
    settings = load_settings(write(tmp_path, ""))
    assert "s3cret-pass" in settings.secrets()
    assert "s3cret-pass" not in str(masked_dump(settings))
