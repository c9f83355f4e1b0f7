"""Parsing seek times typed by users and formatting durations and progress bars."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import UserError

_CLOCK = re.compile(r"^(?:(\d{1,4}):)?(\d{1,2}):(\d{1,2})$")
_SECONDS = re.compile(r"^\d{1,6}$")


class BadTime(UserError):
    """A seek time the bot cannot read."""

    def __init__(self, text: str) -> None:
        super().__init__("controls.bad_time", text=text[:20])


@dataclass(frozen=True)
class SeekTarget:
    """Milliseconds, absolute or relative to the current position."""

    ms: int
    relative: bool

    def resolve(self, position_ms: int, length_ms: int) -> int:
        """The absolute position, clamped into the track."""
        target = position_ms + self.ms if self.relative else self.ms
        return max(0, min(target, max(length_ms - 1, 0)))


def parse_seek(text: str) -> SeekTarget:
    """`1:23`, `1:02:03`, `83` → absolute; `+10`, `-10`, `+1:00` → relative."""
    raw = text.strip()
    sign = 0
    if raw.startswith(("+", "-")):
        sign = 1 if raw[0] == "+" else -1
        raw = raw[1:].strip()
    if _SECONDS.match(raw):
        seconds = int(raw)
    elif match := _CLOCK.match(raw):
        hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
        if secs >= 60 or (match.group(1) is not None and minutes >= 60):
            raise BadTime(text)
        seconds = hours * 3600 + minutes * 60 + secs
    else:
        raise BadTime(text)
    ms = seconds * 1000
    return SeekTarget(ms * sign if sign else ms, relative=bool(sign))


def format_duration(ms: int) -> str:
    """`3:07`, `1:02:03`; streams and unknown lengths are `live`."""
    if ms <= 0:
        return "live"
    seconds = ms // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def progress_bar(position_ms: int, length_ms: int, width: int = 16) -> str:
    """A text bar like `▬▬▬🔘▬▬▬▬ 1:02 / 3:07`."""
    if length_ms <= 0:
        return f"🔴 live · {format_duration(position_ms) if position_ms > 0 else '0:00'}"
    filled = min(width - 1, int(width * position_ms / length_ms))
    bar = "▬" * filled + "🔘" + "▬" * (width - filled - 1)
    position = format_duration(position_ms) if position_ms > 0 else "0:00"
    return f"{bar} {position} / {format_duration(length_ms)}"
