"""Snapshots of a session keep every field of every track and the queue's shape."""

from __future__ import annotations

from bot.music.queue import LoopMode, TrackQueue
from bot.music.track import QueuedTrack
from bot.playback.persistence import session_from, snapshot_of
from bot.playback.session import GuildSession


def track(name: str, **extra: object) -> QueuedTrack:
    return QueuedTrack(encoded=f"e-{name}", title=name, author="a", length_ms=90_000,
                       uri=f"https://x/{name}", requester_id=2**60, **extra)  # type: ignore[arg-type]


def test_round_trip_keeps_tracks_and_state() -> None:
    """Current track, upcoming order, loop, volume, pause and channels survive a snapshot."""
    current = track("now", identifier="id-now", artwork_url="https://img/now.jpg",
                    is_stream=False, is_seekable=True, source="youtube")
    session = GuildSession(
        guild_id=2**62, queue=TrackQueue([track("b"), track("c")], current=current,
                                         loop=LoopMode.QUEUE),
        volume=70, paused=True, voice_channel_id=11, text_channel_id=12,
        now_playing_message_id=13, position_ms=42_000,
    )
    restored = session_from(snapshot_of(session, now=0.0))
    assert restored.queue.current == current
    assert [t.title for t in restored.queue.upcoming] == ["b", "c"]
    assert restored.queue.loop is LoopMode.QUEUE
    assert (restored.volume, restored.paused, restored.position_ms) == (70, True, 42_000)
    assert (restored.voice_channel_id, restored.text_channel_id,
            restored.now_playing_message_id) == (11, 12, 13)


def test_idle_session_keeps_upcoming_without_a_current_track() -> None:
    """With nothing playing, the upcoming tracks come back as upcoming."""
    session = GuildSession(guild_id=1, queue=TrackQueue([track("x")]))
    snapshot = snapshot_of(session, now=0.0)
    assert snapshot.current_index == -1
    restored = session_from(snapshot)
    assert restored.queue.current is None
    assert [t.title for t in restored.queue.upcoming] == ["x"]
