"""The bot's mafic Player: also passes on the events of Lavalink plugins.

mafic 2.11 knows the five core event types; any other `event` op (SponsorBlock's
`SegmentsLoaded`/`SegmentSkipped`, LavaLyrics' `LyricsFoundEvent`, …) reaches
`Player.dispatch_event`, where mafic logs "Unknown incoming event type" and drops
it. This subclass dispatches those through the client instead, as
`on_lavalink_plugin_event(player, payload)`, and leaves the core types to mafic.
"""

from __future__ import annotations

from typing import Any

import mafic

__all__ = ["PLUGIN_EVENT", "MusicPlayer"]

PLUGIN_EVENT = "lavalink_plugin_event"
_CORE_EVENTS = frozenset(
    {
        "TrackStartEvent",
        "TrackEndEvent",
        "TrackExceptionEvent",
        "TrackStuckEvent",
        "WebSocketClosedEvent",
    }
)


class MusicPlayer(mafic.Player[Any]):
    """mafic's Player plus plugin events (`on_lavalink_plugin_event`)."""

    def dispatch_event(self, data: Any) -> None:
        """Core events go to mafic; plugin events to `on_lavalink_plugin_event`."""
        if data.get("type") in _CORE_EVENTS:
            super().dispatch_event(data)
            return
        self.client.dispatch(PLUGIN_EVENT, self, dict(data))
