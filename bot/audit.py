"""Which bus commands are audited, and how a command becomes an audit entry."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

from bot import audio_commands as ac
from bot.messages import Command

# Commands that only read, or are the bot talking to itself, are not audited.
NOT_AUDITED: tuple[type, ...] = (
    ac.Ping,
    ac.Search,
    ac.ShowQueue,
    ac.ShowNowPlaying,
    ac.ShowHistory,
    ac.AttachNowPlaying,
)
_ENVELOPE = {
    "correlation_id",
    "traceparent",
    "command_id",
    "guild_id",
    "user_id",
    "channel_id",
    "voice_channel_id",
    "origin",
    "rights",
}


def audited(command: Command) -> bool:
    """Whether the command changes something worth recording."""
    return not isinstance(command, NOT_AUDITED)


def action_name(command: Command) -> str:
    """`skip`, `set_volume`, … from the command's class name."""
    name = type(command).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def audit_detail(command: Command) -> dict[str, Any]:
    """The command's own fields (not its envelope), as JSON-friendly values."""
    detail: dict[str, Any] = {"origin": command.origin}
    for field in dataclasses.fields(command):
        if field.name in _ENVELOPE:
            continue
        value = getattr(command, field.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
        elif isinstance(value, Enum):
            value = value.value
        detail[field.name] = value
    return detail
