"""Lyrics as LavaLyrics returns them, and their pages for Discord.

The Lyrics object (LavaLyrics README, "Lyrics Object") has `sourceName`,
`provider`, `text` (may be null) and `lines` (`{timestamp, duration, line}`,
may be empty). Timed lines win over the plain text when both are present.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Lyrics", "paginate"]

PAGE_CHARS = 1500
PAGE_LINES = 30


@dataclass(frozen=True)
class Lyrics:
    """The lyrics of one track: where they came from and their lines."""

    source: str
    provider: str
    lines: tuple[str, ...]

    @classmethod
    def from_lavalyrics(cls, data: Mapping[str, Any]) -> Lyrics:
        """Read a LavaLyrics Lyrics object."""
        timed = data.get("lines") or ()
        if timed:
            lines = [str(item.get("line") or "") for item in timed if isinstance(item, Mapping)]
        else:
            lines = str(data.get("text") or "").splitlines()
        return cls(
            source=str(data.get("sourceName") or ""),
            provider=str(data.get("provider") or ""),
            lines=_tidy(lines),
        )


def _tidy(lines: list[str]) -> tuple[str, ...]:
    """Trim each line, collapse runs of blank lines, drop blank lines at both ends."""
    tidy: list[str] = []
    for raw in lines:
        line = raw.strip()
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    while tidy and not tidy[-1]:
        tidy.pop()
    return tuple(tidy)


def paginate(
    lines: tuple[str, ...], *, max_chars: int = PAGE_CHARS, max_lines: int = PAGE_LINES
) -> list[str]:
    """Split lines into pages, preferring to break at a blank line (a verse boundary)."""
    pages: list[str] = []
    page: list[str] = []
    size = 0
    for line in lines:
        line = line[:max_chars]
        full = page and (size + len(line) + 1 > max_chars or len(page) >= max_lines)
        if full:
            pages.append(_flush(page))
            page, size = [], 0
        if not page and not line:
            continue  # a page never starts with a blank line
        page.append(line)
        size += len(line) + 1
        # A verse boundary near the end of a page: start the next verse on a new page.
        if not line and (size > max_chars * 0.7 or len(page) > max_lines * 0.7):
            pages.append(_flush(page))
            page, size = [], 0
    if page:
        pages.append(_flush(page))
    return [p for p in pages if p]


def _flush(page: list[str]) -> str:
    return "\n".join(page).strip()
