"""What every guild is playing, kept from `discord-bot:ui:now`, with listeners for live pages.

The audio side publishes a `NowPlayingUpdate` on every change (track start,
pause, seek, queue edit, teardown). The board keeps the newest state of each
guild and when it arrived, so a reader can extrapolate the position of a
playing track without asking the audio side. Listeners (one per open event
stream) get the id of each changed guild on a bounded queue; a listener that
falls behind is closed rather than allowed to slow the board down.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.messages import NowPlayingUpdate
from bot.music.state import NowPlayingState

CLOSED = -1  # sent to a listener when the board closes it


@dataclass(frozen=True)
class BoardEntry:
    """A guild's newest state and the monotonic time it arrived."""

    state: NowPlayingState
    received_at: float

    def position_ms(self, now: float) -> int:
        """The position now: the reported one, advanced while playing, within the track."""
        track = self.state.track
        if track is None:
            return 0
        position = self.state.position_ms
        if not self.state.paused:
            position += int((now - self.received_at) * 1000)
        if track.length_ms > 0 and not track.is_stream:
            position = min(position, track.length_ms)
        return max(position, 0)


class TooManyListeners(Exception):
    """Every listener slot is taken."""


class Listener:
    """One live page's view of the board: ids of changed guilds, in order."""

    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[int] = asyncio.Queue(size)
        self.closed = False

    def close(self) -> None:
        """Wake the reader with CLOSED; it stops after that."""
        if self.closed:
            return
        self.closed = True
        while True:
            try:
                self.queue.put_nowait(CLOSED)
                return
            except asyncio.QueueFull:
                self.queue.get_nowait()  # make room: the reader only needs to learn it is over

    async def next(self, timeout: float) -> int | None:
        """The next changed guild id, CLOSED, or None when nothing changed within `timeout`."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None


class NowPlayingBoard:
    """Newest now-playing state per guild, and the listeners to tell about changes."""

    def __init__(
        self,
        *,
        max_listeners: int = 100,
        listener_queue: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.max_listeners = max_listeners
        self._listener_queue = listener_queue
        self._entries: dict[int, BoardEntry] = {}
        self._listeners: set[Listener] = set()

    async def on_update(self, update: NowPlayingUpdate) -> None:
        """Bus subscriber for `discord-bot:ui:now`."""
        self.apply(update)

    def apply(self, update: NowPlayingUpdate) -> None:
        """Record the guild's new state (None: the guild stopped) and tell the listeners."""
        if update.state is None:
            self._entries.pop(update.guild_id, None)
        else:
            self._entries[update.guild_id] = BoardEntry(update.state, self.clock())
        for listener in list(self._listeners):
            try:
                listener.queue.put_nowait(update.guild_id)
            except asyncio.QueueFull:
                # A page this far behind reconnects and starts from a fresh snapshot.
                self._listeners.discard(listener)
                listener.close()

    def get(self, guild_id: int) -> BoardEntry | None:
        """The guild's newest state, if it has one."""
        return self._entries.get(guild_id)

    def entries(self) -> list[tuple[int, BoardEntry]]:
        """Every guild with a state, by guild id."""
        return sorted(self._entries.items())

    @contextlib.contextmanager
    def listen(self) -> Iterator[Listener]:
        """A listener for the duration of the block; raises TooManyListeners when full."""
        if len(self._listeners) >= self.max_listeners:
            raise TooManyListeners()
        listener = Listener(self._listener_queue)
        self._listeners.add(listener)
        try:
            yield listener
        finally:
            self._listeners.discard(listener)

    @property
    def listeners(self) -> int:
        """How many listeners are open."""
        return len(self._listeners)

    def close(self) -> None:
        """Close every listener (the server is stopping)."""
        for listener in list(self._listeners):
            listener.close()
        self._listeners.clear()
