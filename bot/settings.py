"""Typed settings: `config.toml` overridden by `BOT_*` environment variables.

Precedence, lowest first: defaults < the TOML file < environment. Nested keys
use `__` in the environment (`BOT_DISCORD__TOKEN`, `BOT_LAVALINK__NODES` as
JSON). Unknown keys are errors, so a typo never silently falls back to a
default.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url

DISCORD_API_BASE = "https://discord.com/api/v10"

LogLevel = Literal["TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL"]
AutoplayMode = Literal["off", "similar", "artist", "genre", "mixed"]
SearchSource = Literal["youtube", "youtubemusic", "soundcloud", "spotify", "applemusic", "deezer"]


class ConfigError(Exception):
    """A configuration problem a self-hoster can fix; the message names the key."""


class Section(BaseModel):
    """Base of every config section: unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class DiscordSettings(Section):
    """How to reach Discord and which shards this process runs."""

    token: SecretStr | None = None
    application_id: int | None = None
    api_base: str = DISCORD_API_BASE
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: list[int] | None = None
    dev_guild_id: int | None = None
    guild_ready_timeout: float = Field(default=2.0, gt=0)
    # Voice joins that can wait (rejoining after a restart, rebuilding players) per shard
    # per minute. discord.py sends at most 110 gateway messages a minute per shard; what
    # is left stays free for presence updates and the joins users ask for.
    voice_joins_per_minute: int = Field(default=100, ge=1, le=110)

    @field_validator("api_base")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class LavalinkNode(Section):
    """One Lavalink v4 server."""

    label: str = Field(min_length=1)
    host: str = "127.0.0.1"
    port: int = Field(default=2333, ge=1, le=65535)
    password: SecretStr = SecretStr("youshallnotpass")
    secure: bool = False
    region: str | None = None


class LavalinkSettings(Section):
    """The Lavalink nodes the bot connects to."""

    nodes: list[LavalinkNode] = Field(default_factory=list)
    health_check_interval: float = Field(default=1.0, gt=0)

    @field_validator("nodes")
    @classmethod
    def _unique_labels(cls, nodes: list[LavalinkNode]) -> list[LavalinkNode]:
        labels = [node.label for node in nodes]
        if len(labels) != len(set(labels)):
            raise ValueError("node labels must be unique")
        return nodes


class DatabaseSettings(Section):
    """Where playback state, settings and history live."""

    url: SecretStr | None = None
    auto_upgrade: bool = True
    slow_query_ms: int = Field(default=200, ge=0)
    connect_timeout: float = Field(default=5.0, gt=0)
    flush_interval: float = Field(default=1.0, gt=0)


WebhookEventType = Literal["track_start", "track_end", "queue_end", "node_lost"]


class WebhookTarget(Section):
    """A URL that receives signed JSON events."""

    url: str
    secret: SecretStr
    events: list[WebhookEventType] = Field(
        default_factory=lambda: list(get_args(WebhookEventType))
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("secret")
    @classmethod
    def _long_secret(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value


class ApiSettings(Section):
    """The HTTP side: health, metrics, status page, REST API, webhooks."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    request_timeout: float = Field(default=15.0, gt=0)
    keepalive_timeout: float = Field(default=15.0, gt=0)
    requests_per_minute: int = Field(default=120, ge=1)
    key_cache_s: float = Field(default=5.0, ge=0)
    metrics_max_age_s: float = Field(default=1.0, ge=0, le=60)
    status_page: bool = True
    show_guild_names: bool = False
    status_refresh_s: float = Field(default=5.0, gt=0)
    max_event_streams: int = Field(default=100, ge=1)
    webhooks: list[WebhookTarget] = Field(default_factory=list)
    webhook_timeout: float = Field(default=5.0, gt=0)
    webhook_retries: int = Field(default=4, ge=0, le=10)
    webhook_backoff_s: float = Field(default=1.0, ge=0)
    webhook_queue_size: int = Field(default=1_000, ge=1)
    # Deprecated: `observability.otlp_endpoint` (which wins) traces everything, not only the API.
    otlp_endpoint: str | None = None


class LoggingSettings(Section):
    """Log level, format and optional rotating file."""

    level: LogLevel = "INFO"
    json_lines: bool = Field(default=False, alias="json")
    file: Path | None = None
    rotation: str = "10 MB"
    retention: str = "14 days"

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class CacheSettings(Section):
    """Sizes and lifetimes of the in-memory caches."""

    guild_ttl: float = Field(default=300.0, gt=0)
    max_guilds: int = Field(default=10_000, ge=1)
    load_timeout: float = Field(default=1.0, gt=0)
    search_ttl: float = Field(default=300.0, gt=0)
    max_searches: int = Field(default=2_000, ge=1)


class LimitsSettings(Section):
    """Limits and rate limits that protect the bot and Lavalink."""

    command_timeout: float = Field(default=10.0, gt=0)
    commands_per_user_per_10s: int = Field(default=8, ge=1)
    searches_per_user_per_minute: int = Field(default=20, ge=1)
    searches_per_guild_per_minute: int = Field(default=60, ge=1)
    idle_disconnect_s: float = Field(default=300.0, gt=0)
    position_save_interval: float = Field(default=5.0, gt=0)
    now_playing_min_edit_s: float = Field(default=1.5, ge=0)
    now_playing_refresh_s: float = Field(default=15.0, gt=0)
    bus_queue_size: int = Field(default=1_000, ge=1)
    bus_put_timeout: float = Field(default=1.0, ge=0)
    playlists_per_user: int = Field(default=25, ge=1, le=1_000)
    playlist_max_tracks: int = Field(default=500, ge=1, le=10_000)
    # The database column holds 100 characters.
    playlist_name_length: int = Field(default=50, ge=1, le=100)
    # At least the track that just played: autoplay must not pick it again.
    autoplay_recent_window: int = Field(default=50, ge=1, le=1_000)


class SearchSettings(Section):
    """How searches are ranked, and how autocomplete is kept from flooding Lavalink."""

    quality_filter: bool = True
    extra_blocked_terms: list[str] = Field(default_factory=list)
    extra_blocked_channels: list[str] = Field(default_factory=list)
    extra_preferred_channels: list[str] = Field(default_factory=list)
    autocomplete_min_chars: int = Field(default=3, ge=1, le=100)
    autocomplete_debounce_s: float = Field(default=0.3, ge=0, le=1.0)
    autocomplete_searches_per_user_per_10s: int = Field(default=5, ge=1)


class RetentionSettings(Section):
    """How long history and the audit log are kept, and how often they are trimmed."""

    history_days: float = Field(default=90.0, gt=0)
    audit_days: float = Field(default=30.0, gt=0)
    interval_s: float = Field(default=3600.0, gt=0)


class GuildDefaults(Section):
    """Settings a guild starts with until an admin changes them."""

    volume: int = Field(default=100, ge=0, le=200)
    autoplay: AutoplayMode = "off"
    max_queue_length: int = Field(default=500, ge=1, le=10_000)
    max_track_length_s: int | None = Field(default=None, ge=1)
    vote_skip_ratio: float = Field(default=0.5, ge=0, le=1)
    default_source: SearchSource = "youtube"


class ObservabilitySettings(Section):
    """Traces over OTLP and error reports to Sentry; each is off until configured."""

    otlp_endpoint: str | None = None
    sentry_dsn: SecretStr | None = None
    sentry_environment: str = "production"
    sentry_sample_rate: float = Field(default=1.0, ge=0, le=1)

    @field_validator("otlp_endpoint")
    @classmethod
    def _http_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


class BusSettings(Section):
    """The event bus: in-process (one process), or over Redis (several processes, sharded)."""

    backend: Literal["memory", "redis"] = "memory"
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    # Prepended to every Redis channel and key: several bots (or test runs) on one Redis.
    channel_prefix: str = ""
    connect_timeout: float = Field(default=1.0, gt=0)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value


class Settings(BaseSettings):
    """Everything the bot reads from config.toml and the environment."""

    model_config = SettingsConfigDict(
        env_prefix="BOT_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Path("data")
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    lavalink: LavalinkSettings = Field(default_factory=LavalinkSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    guild_defaults: GuildDefaults = Field(default_factory=GuildDefaults)
    bus: BusSettings = Field(default_factory=BusSettings)
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)

    @model_validator(mode="after")
    def _redis_bus_needs_shards(self) -> Settings:
        # Routing a command to the process of its guild needs the shard count to be known.
        if self.bus.backend == "redis" and self.discord.shard_count is None:
            raise ValueError(
                'bus.backend = "redis" needs discord.shard_count (and discord.shard_ids '
                "for each process)"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init kwargs; listing env first lets it win.
        return env_settings, init_settings

    @property
    def database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file."""
        if self.database.url is not None:
            return self.database.url.get_secret_value()
        return f"sqlite+aiosqlite:///{(self.data_dir / 'bot.db').resolve()}"

    @property
    def otlp_endpoint(self) -> str | None:
        """Where spans go: `observability.otlp_endpoint`, else the older `api.otlp_endpoint`."""
        return self.observability.otlp_endpoint or self.api.otlp_endpoint

    def secrets(self) -> list[str]:
        """Every secret value, for log redaction."""
        values = [self.discord.token, self.database.url]
        values += [node.password for node in self.lavalink.nodes]
        values += [hook.secret for hook in self.api.webhooks]
        values.append(self.observability.sentry_dsn)
        found = [v.get_secret_value() for v in values if v is not None]
        if self.database.url is not None:
            try:
                password = make_url(self.database.url.get_secret_value()).password
            except Exception:  # an unparsable URL fails later, with its own message
                password = None
            if password:
                found.append(str(password))
        redis_password = urlsplit(self.bus.redis_url.get_secret_value()).password
        if redis_password:
            found.append(redis_password)
        return [s for s in found if len(s) >= 4]


# Sections whose changes apply while the bot runs; all others need a restart.
LIVE_SECTIONS = ("logging", "limits", "guild_defaults", "cache", "search")
RESTART_ONLY_KEYS = {("logging", "file"), ("logging", "rotation"), ("logging", "retention")}


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a ConfigError."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, naming the key; never echoes the input value."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{key}: {message}")
    return "\n".join(lines)


def load_settings(path: Path | None, *, require_token: bool = False) -> Settings:
    """Load settings from `path` (optional) and the environment, or raise ConfigError."""
    data = read_toml(path) if path is not None else {}
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
    if require_token and settings.discord.token is None:
        raise ConfigError(
            "discord.token: missing. Put your bot token in config.toml under [discord] "
            'token = "..." or set BOT_DISCORD__TOKEN (Discord Developer Portal > '
            "your application > Bot > Reset Token)."
        )
    return settings


def masked_dump(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data with every secret masked."""
    dumped: dict[str, Any] = settings.model_dump(mode="json", by_alias=True)
    dumped["database"]["effective_url"] = _mask_url(settings.database_url)
    return dumped


def _mask_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "**********"
