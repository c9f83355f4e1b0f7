"""The bot's mafic Player: passes on the events of Lavalink plugins, and ignores voice
updates once it has been replaced.

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

    # Whether Discord has confirmed this player in a channel yet.
    _joined = False

    async def on_voice_state_update(self, data: Any) -> None:
        """Ignore voice updates that belong to an earlier player of the guild.

        When the bot leaves and rejoins (a rebuild, a voice reconnect, mafic's
        own clean-up after a node restart), the VOICE_STATE_UPDATE of the leave
        can arrive after the new player was registered, or be handled by the old
        player's task after it was replaced. mafic would then "disconnect": destroy
        the new Lavalink player and leave voice again. A leave before this player
        was ever confirmed in a channel, or any update for a replaced player, is
        stale.
        """
        if self.guild.voice_client is not self:
            return
        if data.get("channel_id") is None and not self._joined:
            return
        if data.get("channel_id") is not None:
            self._joined = True
        await super().on_voice_state_update(data)

    async def on_voice_server_update(self, data: Any) -> None:
        """Likewise, a replaced player ignores voice server updates."""
        if self.guild.voice_client is not self:
            return
        await super().on_voice_server_update(data)

    def dispatch_event(self, data: Any) -> None:
        """Core events go to mafic; plugin events to `on_lavalink_plugin_event`."""
        if data.get("type") in _CORE_EVENTS:
            super().dispatch_event(data)
            return
        self.client.dispatch(PLUGIN_EVENT, self, dict(data))
