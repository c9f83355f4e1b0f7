"""A guild's playback as the UI shows it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.music.queue import LoopMode
from bot.music.track import QueuedTrack


@dataclass(frozen=True)
class NowPlayingState:
    """A guild's playback as the UI shows it (also the payload of `discord-bot:ui:now`)."""

    guild_id: int
    track: QueuedTrack | None
    position_ms: int = 0
    paused: bool = False
    loop: LoopMode = LoopMode.OFF
    volume: int = 100
    queue_length: int = 0
    text_channel_id: int | None = None
    voice_channel_id: int | None = None
    message_id: int | None = None
    effects: tuple[str, ...] = ()
    """The labels of the active audio effects, in the order they were turned on."""
