"""A track as the bot keeps it: Lavalink's opaque `encoded` string plus what the UI shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class QueuedTrack:
    """One queue entry. `encoded` is Lavalink's track blob: stored and sent back, never parsed."""

    encoded: str
    title: str
    author: str
    length_ms: int
    uri: str | None
    requester_id: int
    identifier: str = ""
    source: str = ""
    artwork_url: str | None = None
    is_stream: bool = False
    is_seekable: bool = True
    is_autoplay: bool = False
    added_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def from_lavalink(
        cls, data: dict[str, Any], requester_id: int, *, is_autoplay: bool = False
    ) -> QueuedTrack:
        """Build from a Lavalink v4 track object (`{encoded, info: {...}}`)."""
        info = data["info"]
        return cls(
            encoded=data["encoded"],
            title=info.get("title") or "Unknown title",
            author=info.get("author") or "Unknown artist",
            length_ms=int(info.get("length") or 0),
            uri=info.get("uri"),
            requester_id=requester_id,
            identifier=info.get("identifier") or "",
            source=info.get("sourceName") or "",
            artwork_url=info.get("artworkUrl"),
            is_stream=bool(info.get("isStream")),
            is_seekable=bool(info.get("isSeekable", True)),
            is_autoplay=is_autoplay,
        )
