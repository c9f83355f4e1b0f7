"""The state of one guild's playback, kept by the audio side."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bot.music.filters import EffectChain
from bot.music.queue import TrackQueue
from bot.music.state import NowPlayingState


@dataclass
class GuildSession:
    """Queue, volume, channels and bookkeeping of one guild; guarded by `lock`."""

    guild_id: int
    queue: TrackQueue = field(default_factory=TrackQueue)
    volume: int = 100
    paused: bool = False
    voice_channel_id: int | None = None
    text_channel_id: int | None = None
    now_playing_message_id: int | None = None
    # Audio effects (Lavalink filters); every new player gets them again.
    effects: EffectChain = field(default_factory=EffectChain)
    # Last position Lavalink reported, and when (loop time), to estimate the live position.
    position_ms: int = 0
    position_at: float = 0.0
    failures_in_a_row: int = 0
    # The player's node was lost; the session waits to be rebuilt on a healthy node.
    rebuild_pending: bool = False
    idle_task: asyncio.Task[Any] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def live_position(self, now: float) -> int:
        """Where the current track is now, extrapolated from the last report."""
        track = self.queue.current
        if track is None:
            return 0
        position = self.position_ms
        if not self.paused and self.position_at:
            position += int((now - self.position_at) * 1000 * self.effects.rate)
        return max(0, min(position, track.length_ms)) if track.length_ms > 0 else position

    def set_position(self, position_ms: int, now: float) -> None:
        """Record a position report (from Lavalink or from our own seek/play)."""
        self.position_ms = position_ms
        self.position_at = now

    def state(self, now: float) -> NowPlayingState:
        """The UI's view of this session."""
        return NowPlayingState(
            guild_id=self.guild_id,
            track=self.queue.current,
            position_ms=self.live_position(now),
            paused=self.paused,
            loop=self.queue.loop,
            volume=self.volume,
            queue_length=len(self.queue),
            text_channel_id=self.text_channel_id,
            voice_channel_id=self.voice_channel_id,
            message_id=self.now_playing_message_id,
            effects=self.effects.labels,
        )

    def cancel_idle(self) -> None:
        """Forget a pending idle disconnect."""
        if self.idle_task is not None and not self.idle_task.done():
            self.idle_task.cancel()
        self.idle_task = None
