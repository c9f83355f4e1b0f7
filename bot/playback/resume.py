"""Resuming saved playback after a restart."""

from __future__ import annotations

from typing import Any

from loguru import logger

from bot.errors import UserError
from bot.playback.persistence import PlaybackPersistence, session_from
from bot.playback.service import PlaybackService, VoicePort


async def resume_all(
    service: PlaybackService, persistence: PlaybackPersistence, voice: VoicePort
) -> int:
    """Rejoin and continue every guild that was playing when the bot stopped; returns how many."""
    try:
        snapshots = await persistence.load_all()
    except Exception:
        logger.opt(exception=True).error("could not read saved queues; nothing resumed")
        return 0
    resumed = 0
    for snapshot in snapshots:
        if snapshot.voice_channel_id is None or snapshot.current_index != 0 or not snapshot.tracks:
            continue
        session = session_from(snapshot)
        service.sessions[session.guild_id] = session
        async with session.lock:
            try:
                await service.recovery.restore(session)
            except Exception as exc:  # one guild's failure must not stop the rest
                _log_failure(session.guild_id, exc)
                service.sessions.pop(session.guild_id, None)
                continue
        resumed += 1
    if resumed:
        logger.info("resumed playback in {} guild(s)", resumed)
    return resumed


def _log_failure(guild_id: int, exc: Any) -> None:
    if isinstance(exc, UserError):
        logger.warning("could not resume guild {}: {}", guild_id, exc.message)
    else:
        logger.opt(exception=exc).warning("could not resume guild {}", guild_id)
