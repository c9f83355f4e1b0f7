"""A guild's queue: ordered tracks, the current position in them, and the loop mode.

Positions shown to users are 1-based and count *upcoming* tracks only.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.errors import UserError
from bot.music.track import QueuedTrack


class LoopMode(StrEnum):
    """What happens when a track ends by itself."""

    OFF = "off"
    TRACK = "track"
    QUEUE = "queue"


LOOP_NAMES = {LoopMode.OFF: "loop.off", LoopMode.TRACK: "loop.track", LoopMode.QUEUE: "loop.queue"}
"""How a sentence names each loop mode (catalog keys)."""


class QueueFull(UserError):
    """The guild's queue is at its maximum length."""

    def __init__(self, limit: int) -> None:
        super().__init__("queue.full", limit=limit)


class BadPosition(UserError):
    """A 1-based position that is not in the queue."""

    def __init__(self, position: int, size: int) -> None:
        if size == 0:
            super().__init__("queue.no_upcoming")
        else:
            super().__init__("queue.bad_position", position=position, size=size)


@dataclass(frozen=True)
class AddResult:
    """How many tracks were added and how many were left out by the limit."""

    added: int
    dropped: int
    first_position: int


class TrackQueue:
    """Played tracks, the current one, upcoming ones, and the loop mode.

    Loop `queue` sends every track that ends (or is skipped) to the back of
    the upcoming list; loop `track` replays the current track when it ends by
    itself (a skip still moves on).
    """

    def __init__(
        self,
        upcoming: Iterable[QueuedTrack] = (),
        *,
        current: QueuedTrack | None = None,
        history: Iterable[QueuedTrack] = (),
        loop: LoopMode = LoopMode.OFF,
        max_history: int = 50,
    ) -> None:
        self.upcoming: list[QueuedTrack] = list(upcoming)
        self.current = current
        self.history: list[QueuedTrack] = list(history)[-max_history:]
        self.loop = loop
        self.max_history = max_history

    def __len__(self) -> int:
        return len(self.upcoming)

    def page(self, number: int, per_page: int = 10) -> tuple[list[tuple[int, QueuedTrack]], int]:
        """Upcoming tracks of 1-based page `number` with their positions, and the page count."""
        pages = max(1, -(-len(self.upcoming) // per_page))
        number = min(max(number, 1), pages)
        start = (number - 1) * per_page
        chunk = self.upcoming[start : start + per_page]
        return [(start + i + 1, track) for i, track in enumerate(chunk)], pages

    def add(self, tracks: list[QueuedTrack], *, limit: int, next_up: bool = False) -> AddResult:
        """Append (or put first in line) as many tracks as the limit allows."""
        room = limit - len(self.upcoming)
        if room <= 0:
            raise QueueFull(limit)
        accepted = tracks[:room]
        if next_up:
            self.upcoming[0:0] = accepted
            first = 1
        else:
            first = len(self.upcoming) + 1
            self.upcoming.extend(accepted)
        return AddResult(len(accepted), len(tracks) - len(accepted), first)

    def advance(self, *, finished: bool) -> QueuedTrack | None:
        """Make the next track current; `finished` is True when the last one ended by itself."""
        if finished and self.loop is LoopMode.TRACK and self.current is not None:
            return self.current
        self._retire_current()
        self.current = self.upcoming.pop(0) if self.upcoming else None
        return self.current

    def previous(self) -> QueuedTrack | None:
        """Go back to the last played track; None (and no change) when there is none."""
        if not self.history:
            return None
        if self.current is not None:
            self.upcoming.insert(0, self.current)
        self.current = self.history.pop()
        return self.current

    def skip_to(self, position: int) -> QueuedTrack:
        """Make the 1-based upcoming `position` current; the ones before it count as played."""
        self._check(position)
        self._retire_current()
        skipped, self.upcoming = self.upcoming[: position - 1], self.upcoming[position - 1 :]
        for track in skipped:
            self._retire(track)
        self.current = self.upcoming.pop(0)
        return self.current

    def remove(self, position: int) -> QueuedTrack:
        """Remove the 1-based upcoming track at `position`."""
        self._check(position)
        return self.upcoming.pop(position - 1)

    def move(self, source: int, target: int) -> QueuedTrack:
        """Move an upcoming track from one 1-based position to another."""
        self._check(source)
        self._check(target)
        track = self.upcoming.pop(source - 1)
        self.upcoming.insert(target - 1, track)
        return track

    def clear(self) -> int:
        """Drop every upcoming track; returns how many."""
        dropped = len(self.upcoming)
        self.upcoming.clear()
        return dropped

    def shuffle(self, rng: random.Random | None = None) -> None:
        """Shuffle the upcoming tracks."""
        (rng or random.Random()).shuffle(self.upcoming)

    def stop(self) -> None:
        """Forget the current and upcoming tracks (history stays for /previous)."""
        self._retire_current()
        self.upcoming.clear()

    def _check(self, position: int) -> None:
        if not 1 <= position <= len(self.upcoming):
            raise BadPosition(position, len(self.upcoming))

    def _retire_current(self) -> None:
        if self.current is not None:
            self._retire(self.current)
            self.current = None

    def _retire(self, track: QueuedTrack) -> None:
        if self.loop is LoopMode.QUEUE:
            self.upcoming.append(track)
        self.history.append(track)
        if len(self.history) > self.max_history:
            del self.history[0]
