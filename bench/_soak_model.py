"""What the soak expects a guild's queue to be, from the answers to its own commands.

`ExpectedQueue` mirrors `bot.music.queue.TrackQueue` for the commands the soak
sends (play, skip, remove, move, shuffle, loop, pause/resume, volume) and checks
each answer against its prediction. Tracks are named by their catalogue number
(`Soak track <n>`, `https://example.com/s/<n>`), so an answer, a /queue page
and a saved snapshot all say which track they mean.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

TRACK_URL = "https://example.com/s/{}"
TRACK_TITLE = "Soak track {}"
_URL_NUMBER = re.compile(r"https://example\.com/s/(\d+)")
_TITLE_NUMBER = re.compile(r"Soak track (\d+)")
_FOOTER = re.compile(r"Page (\d+)/(\d+) · (\d+) tracks .*loop (\w+)")


def _named(text: str | None, track: int | None, verb: str) -> str | None:
    if text is None:
        return None
    said = titled(text)
    return None if said == track else f"{verb} {said}, expected {track}"


def message_text(message: dict[str, Any]) -> str:
    """Content, embed titles, descriptions, field values and footers of a message, joined."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f.get("value") or "" for f in embed.get("fields") or []]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def titled(text: str) -> int | None:
    """The track number named in bold in an answer ("Skipped **Soak track 12**.")."""
    found = _TITLE_NUMBER.search(text)
    return int(found.group(1)) if found else None


@dataclass
class QueuePage:
    """One /queue answer, parsed."""

    current: int | None
    items: list[int]
    page: int
    pages: int
    length: int
    loop: str


def parse_queue_page(message: dict[str, Any]) -> QueuePage | None:
    """A /queue answer, or None when the message is not one."""
    embeds = message.get("embeds") or []
    if not embeds or embeds[0].get("title") != "Queue":
        return None
    embed = embeds[0]
    now = _URL_NUMBER.search(embed.get("description") or "")
    field_text = "\n".join(f.get("value") or "" for f in embed.get("fields") or [])
    footer = _FOOTER.search((embed.get("footer") or {}).get("text") or "")
    if footer is None:
        return None
    return QueuePage(
        current=int(now.group(1)) if now else None,
        items=[int(n) for n in _URL_NUMBER.findall(field_text)],
        page=int(footer.group(1)),
        pages=int(footer.group(2)),
        length=int(footer.group(3)),
        loop=footer.group(4),
    )


@dataclass
class Actual:
    """A guild's queue as the bot shows or stored it."""

    current: int | None
    upcoming: list[int]
    loop: str | None = None
    paused: bool | None = None
    volume: int | None = None


@dataclass
class ExpectedQueue:
    """The queue one guild should have, kept from the answers to its commands."""

    current: int | None = None
    upcoming: list[int] = field(default_factory=list)
    loop: str = "off"
    paused: bool = False
    volume: int = 100

    def copy(self) -> ExpectedQueue:
        """An independent copy (for "applied or not" after an uncertain answer)."""
        return ExpectedQueue(self.current, list(self.upcoming), self.loop, self.paused, self.volume)

    def items(self) -> Counter[int]:
        """Every track in the queue, the current one included."""
        return Counter(([self.current] if self.current is not None else []) + self.upcoming)

    # -- predictions: apply a command's effect; with the answer's `text`, check it -----------
    # Each returns None, or what the answer said that the prediction did not.

    def played(self, track: int, text: str | None = None) -> str | None:
        """/play of `track`: it starts when nothing plays, else it goes to the end."""
        if self.current is None:
            self.current = track
            expected = "Now playing"
        else:
            self.upcoming.append(track)
            expected = f"Queued at position {len(self.upcoming)}"
        if text is None or expected in text:
            return None
        return f"expected '{expected}'"

    def skipped(self, text: str | None = None) -> str | None:
        """/skip (without `to`): "Skipped **title**."."""
        was = self.current
        self._retire_current()
        self.current = self.upcoming.pop(0) if self.upcoming else None
        return _named(text, was, "skipped")

    def removed(self, position: int, text: str | None = None) -> str | None:
        """/remove `position`: "Removed **title**."."""
        return _named(text, self.upcoming.pop(position - 1), "removed")

    def moved(self, source: int, target: int, text: str | None = None) -> str | None:
        """/move `source` `target`: "Moved **title** to position N."."""
        track = self.upcoming.pop(source - 1)
        self.upcoming.insert(target - 1, track)
        return _named(text, track, "moved")

    def as_reported(self, name: str, options: dict[str, Any], text: str) -> ExpectedQueue | None:
        """This queue after the command as its answer tells it (which track it removed,
        moved or skipped), for when the answer disagrees with the prediction; None if the
        answer names nothing to go by."""
        track, after = titled(text), self.copy()
        if track is None or (name != "skip" and track not in after.upcoming):
            return None
        if name == "remove":
            after.upcoming.remove(track)
        elif name == "move":
            after.upcoming.remove(track)
            after.upcoming.insert(options["target"] - 1, track)
        elif name == "skip" and track == after.current:
            after.skipped()
        else:
            return None
        return after

    def _retire_current(self) -> None:
        if self.current is not None and self.loop == "queue":
            self.upcoming.append(self.current)
        self.current = None

    # -- comparison ------------------------------------------------------------------------

    def compare(self, actual: Actual) -> tuple[Counter[int], Counter[int], bool]:
        """(tracks missing from `actual`, tracks it has in excess, same order and current)."""
        expected, seen = (
            self.items(),
            Counter(([actual.current] if actual.current is not None else []) + actual.upcoming),
        )
        same = actual.current == self.current and actual.upcoming == self.upcoming
        return expected - seen, seen - expected, same

    def adopt(self, actual: Actual) -> None:
        """Take the bot's queue as the truth from here on (after a mismatch was counted)."""
        self.current, self.upcoming = actual.current, list(actual.upcoming)
        if actual.loop is not None:
            self.loop = actual.loop
