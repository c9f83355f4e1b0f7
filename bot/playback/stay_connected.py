"""24/7 on the audio side: a change of the setting takes effect on the idle timer at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import audio_commands as ac
from bot.i18n import t

if TYPE_CHECKING:
    from bot.playback.service import PlaybackService


async def stay_connected_changed(
    service: PlaybackService, command: ac.StayConnectedChanged
) -> ac.Done:
    """On: forget a pending idle disconnect. Off: start one if the bot idles in voice now.

    The idle timer reads the setting when it starts, so without this a timer
    already running would still disconnect, and an idle bot would stay forever.
    """
    guild_id = command.guild_id
    session = service.session(guild_id)
    bot_channel = service.voice.bot_channel(guild_id)
    if command.enabled:
        session.cancel_idle()
    elif bot_channel is not None:
        idle = session.queue.current is None or service.voice.listeners(guild_id, bot_channel) == 0
        if idle:
            service.schedule_idle(session)
    return ac.Done(t("stay.on" if command.enabled else "stay.off"))
