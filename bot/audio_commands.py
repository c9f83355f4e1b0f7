"""The commands the audio side serves on `discord-bot:commands`, one dataclass each."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Command


@dataclass(frozen=True, kw_only=True)
class Ping(Command):
    """Ask the audio side how its Lavalink nodes are doing."""


@dataclass(frozen=True)
class NodeStatus:
    """One Lavalink node as the audio side sees it."""

    label: str
    available: bool
    players: int


@dataclass(frozen=True)
class PingResult:
    """The audio side's answer to `Ping`."""

    nodes: tuple[NodeStatus, ...]
