"""Events between the Discord side and the audio side (channels to-discord and to-audio)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n.text import Text, t
from bot.messages import AudioEvent, DiscordEvent


@dataclass(frozen=True, kw_only=True)
class QueueEnded(AudioEvent):
    """The queue ran out (or playback was stopped after failures)."""

    text_channel_id: int | None
    reason: Text = field(default_factory=lambda: t("events.queue_ended"))


@dataclass(frozen=True, kw_only=True)
class TrackFailed(AudioEvent):
    """A track could not be played; the queue moves on."""

    text_channel_id: int | None
    title: str
    reason: Text


@dataclass(frozen=True, kw_only=True)
class NodeLost(AudioEvent):
    """The guild's music server went away; playback is being moved (one message per outage)."""

    text_channel_id: int | None
    reason: Text = field(default_factory=lambda: t("events.node_lost"))


@dataclass(frozen=True, kw_only=True)
class VoiceMembersChanged(DiscordEvent):
    """Someone joined, left or moved between voice channels of the guild."""

    user_id: int
    before_channel_id: int | None
    after_channel_id: int | None
    is_self: bool


@dataclass(frozen=True, kw_only=True)
class SegmentsLoaded(AudioEvent):
    """SponsorBlock found segments it will skip in the track that just started."""

    text_channel_id: int | None
    categories: tuple[str, ...]
    count: int


@dataclass(frozen=True, kw_only=True)
class SegmentSkipped(AudioEvent):
    """SponsorBlock skipped a segment of the current track."""

    text_channel_id: int | None
    category: str
    start_ms: int
    end_ms: int
