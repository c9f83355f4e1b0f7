"""Typed messages carried on the event bus, one dataclass per kind."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.correlation import current_correlation_id, new_correlation_id
from bot.music.state import NowPlayingState
from bot.tracing import current_traceparent


def _cid() -> str:
    return current_correlation_id() or new_correlation_id()


@dataclass(frozen=True, kw_only=True)
class BusMessage:
    """Base of every bus message; carries the correlation id of the command that caused it.

    `traceparent` is that command's trace context (W3C text; None when tracing
    is off or nothing traced caused the message), so the receiving side's work
    joins the trace, in this process or another.
    """

    correlation_id: str = field(default_factory=_cid)
    traceparent: str | None = field(default_factory=current_traceparent)


@dataclass(frozen=True, kw_only=True)
class Command(BusMessage):
    """A request for the audio side, from any front end (slash, button, REST, webhook)."""

    guild_id: int
    user_id: int
    channel_id: int | None = None
    # The front end that sent it: "slash", "button", "api", "webhook".
    origin: str = "slash"
    # Idempotency key (the interaction id): the same command delivered again is
    # answered with the first answer instead of running twice (see EventBus.request).
    command_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class DiscordEvent(BusMessage):
    """A Discord event the audio side cares about (channel `discord-bot:to-audio`)."""

    guild_id: int


@dataclass(frozen=True, kw_only=True)
class AudioEvent(BusMessage):
    """A Lavalink-side event that needs a Discord action (channel `discord-bot:to-discord`)."""

    guild_id: int


@dataclass(frozen=True, kw_only=True)
class NowPlayingUpdate(BusMessage):
    """A change in what a guild is playing (channel `discord-bot:ui:now`)."""

    guild_id: int
    reason: str
    state: NowPlayingState | None = None
