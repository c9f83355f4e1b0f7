"""The queue: adding with limits, advancing with each loop mode, editing upcoming tracks."""

from __future__ import annotations

import random

import pytest

from bot.music.queue import BadPosition, LoopMode, QueueFull, TrackQueue
from bot.music.track import QueuedTrack


def track(name: str) -> QueuedTrack:
    return QueuedTrack(
        encoded=f"enc-{name}", title=name, author="a", length_ms=1000, uri=None, requester_id=1
    )


def titles(tracks: list[QueuedTrack]) -> list[str]:
    return [t.title for t in tracks]


def filled(*names: str, loop: LoopMode = LoopMode.OFF) -> TrackQueue:
    q = TrackQueue(loop=loop)
    q.add([track(n) for n in names], limit=100)
    return q


def test_add_respects_limit_and_reports_dropped() -> None:
    """A playlist bigger than the room left is truncated, and the result says so."""
    q = filled("a", "b")
    result = q.add([track(str(i)) for i in range(5)], limit=4)
    assert (result.added, result.dropped, result.first_position) == (2, 3, 3)
    with pytest.raises(QueueFull, match="4 tracks"):
        q.add([track("x")], limit=4)


def test_next_up_goes_first() -> None:
    """/playnext puts the track at position 1."""
    q = filled("a", "b")
    q.add([track("n")], limit=10, next_up=True)
    assert titles(q.upcoming) == ["n", "a", "b"]


def test_loop_off_plays_through_then_ends() -> None:
    """Without loop the queue runs out and keeps history for /previous."""
    q = filled("a", "b")
    assert q.advance(finished=True).title == "a"
    assert q.advance(finished=True).title == "b"
    assert q.advance(finished=True) is None
    assert titles(q.history) == ["a", "b"]


def test_loop_track_repeats_until_skipped() -> None:
    """Loop track replays on natural end; a skip moves on."""
    q = filled("a", "b", loop=LoopMode.TRACK)
    q.advance(finished=True)
    assert q.advance(finished=True).title == "a"
    assert q.advance(finished=False).title == "b"


def test_loop_queue_cycles() -> None:
    """Loop queue sends finished tracks to the back forever."""
    q = filled("a", "b", loop=LoopMode.QUEUE)
    played = [q.advance(finished=True).title for _ in range(5)]
    assert played == ["a", "b", "a", "b", "a"]


def test_previous_goes_back_and_keeps_current_next() -> None:
    """/previous replays the last track; the interrupted one is next."""
    q = filled("a", "b", "c")
    q.advance(finished=True)
    q.advance(finished=True)
    assert q.previous().title == "a"
    assert titles(q.upcoming) == ["b", "c"]


def test_previous_without_history_changes_nothing() -> None:
    """Nothing before → None and the queue is untouched."""
    q = filled("a")
    q.advance(finished=True)
    assert q.previous() is None
    assert q.current.title == "a"


def test_skip_to_position() -> None:
    """/skip to 3 plays the third upcoming track; the two before count as played."""
    q = filled("a", "b", "c", "d")
    q.advance(finished=True)
    assert q.skip_to(3).title == "d"
    assert titles(q.history) == ["a", "b", "c"]


@pytest.mark.parametrize("position", [0, 4, -1])
def test_bad_positions_change_nothing(position: int) -> None:
    """Out-of-range positions give a clear error and leave the queue alone."""
    q = filled("a", "b", "c")
    with pytest.raises(BadPosition, match="choose 1 to 3"):
        q.remove(position)
    with pytest.raises(BadPosition):
        q.move(position, 1)
    with pytest.raises(BadPosition):
        q.skip_to(position)
    assert titles(q.upcoming) == ["a", "b", "c"]


def test_remove_move_clear() -> None:
    """Editing upcoming tracks by 1-based position."""
    q = filled("a", "b", "c", "d")
    assert q.remove(2).title == "b"
    assert q.move(3, 1).title == "d"
    assert titles(q.upcoming) == ["d", "a", "c"]
    assert q.clear() == 3
    assert q.upcoming == []


def test_shuffle_only_touches_upcoming() -> None:
    """Shuffling keeps the current track and the set of upcoming ones."""
    q = filled(*"abcdefgh")
    q.advance(finished=True)
    q.shuffle(random.Random(1))
    assert q.current.title == "a"
    assert sorted(titles(q.upcoming)) == list("bcdefgh")
    assert titles(q.upcoming) != list("bcdefgh")


def test_pages() -> None:
    """Paging numbers positions from 1 and clamps the page."""
    q = filled(*[str(i) for i in range(25)])
    items, pages = q.page(3, per_page=10)
    assert pages == 3
    assert [p for p, _ in items] == [21, 22, 23, 24, 25]
    assert q.page(99)[0][0][0] == 21


def test_history_is_bounded() -> None:
    """History keeps at most max_history tracks."""
    q = TrackQueue(max_history=3)
    q.add([track(str(i)) for i in range(10)], limit=100)
    for _ in range(11):
        q.advance(finished=True)
    assert titles(q.history) == ["7", "8", "9"]
