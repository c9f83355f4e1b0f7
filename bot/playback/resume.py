"""Resuming saved playback after a restart."""

from __future__ import annotations

from loguru import logger

from bot.playback.persistence import PlaybackPersistence, session_from
from bot.playback.service import PlaybackService


async def resume_all(service: PlaybackService, persistence: PlaybackPersistence) -> int:
    """Queue every guild that was playing when the bot stopped for a rejoin; returns how many.

    The guilds rejoin voice in the background (`PlayerRecovery.rebuild_pending`),
    as fast as each shard's gateway budget allows, and are retried until they
    play again, so the bot serves commands meanwhile.
    """
    try:
        snapshots = await persistence.load_all()
    except Exception:
        logger.opt(exception=True).error("could not read saved queues; nothing resumed")
        return 0
    queued = 0
    for snapshot in snapshots:
        if snapshot.voice_channel_id is None or snapshot.current_index != 0 or not snapshot.tracks:
            continue
        session = session_from(snapshot)
        session.rebuild_pending = True
        service.sessions[session.guild_id] = session
        queued += 1
    if queued:
        logger.info("resuming playback in {} guild(s)", queued)
        service.recovery.schedule()
    return queued
