"""Player and queue controls: pause, skip, seek, volume, loop, shuffle, remove, move, clear.

Each runs under the guild's lock (taken by `PlaybackService.handle`) and
checks that the member is in the bot's voice channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import audio_commands as ac
from bot.errors import NothingPlaying, UserError
from bot.i18n import t
from bot.music.queue import LOOP_NAMES, LoopMode
from bot.music.timefmt import format_duration

if TYPE_CHECKING:
    from bot.playback.service import PlaybackService

LOOP_CYCLE = {LoopMode.OFF: LoopMode.TRACK, LoopMode.TRACK: LoopMode.QUEUE}


class Controls:
    """The control commands of the playback service."""

    def __init__(self, service: PlaybackService) -> None:
        self.service = service

    async def set_paused(self, command: ac.VoiceCommand, paused: bool | None) -> ac.Done:
        """Pause, resume or toggle."""
        session, player = self.service.require_playing(command)
        target = (not session.paused) if paused is None else paused
        if target == session.paused:
            return ac.Done(t("controls.already_paused" if target else "controls.already_playing"))
        session.set_position(session.live_position(self.service.clock()), self.service.clock())
        await player.pause(target)
        session.paused = target
        await self.service.changed(session, "paused" if target else "resumed")
        return ac.Done(t("controls.paused" if target else "controls.resumed"))

    async def skip(self, command: ac.Skip) -> ac.Done:
        """Skip the current track, or to an upcoming position."""
        session, _player = self.service.require_playing(command)
        skipped = session.queue.current
        if command.to is not None:
            session.queue.skip_to(command.to)  # makes the target current
        session.failures_in_a_row = 0
        await self.service.start_next(session, finished=False, advance=command.to is None)
        if skipped is None:
            return ac.Done(t("controls.skipped_track"))
        return ac.Done(t("controls.skipped", title=skipped.title))

    async def previous(self, command: ac.Previous) -> ac.Done:
        """Play the previous track again."""
        session = self.service.require_same_channel(command)
        player = self.service.voice.player(command.guild_id)
        if player is None:
            raise NothingPlaying()
        track = session.queue.previous()  # makes it current
        if track is None:
            raise UserError("controls.no_previous")
        await self.service.start_next(session, finished=False, advance=False)
        return ac.Done(t("controls.playing_again", title=track.title))

    async def stop(self, command: ac.VoiceCommand) -> ac.Done:
        """Stop and clear the queue; stay in the channel until idle."""
        session, player = self.service.require_playing(command)
        session.queue.stop()
        session.paused = False
        await player.stop()
        session.set_position(0, self.service.clock())
        await self.service.changed(session, "stopped")
        self.service.schedule_idle(session)
        return ac.Done(t("controls.stopped"))

    async def leave(self, command: ac.VoiceCommand) -> ac.Done:
        """Stop, clear and leave voice."""
        self.service.require_same_channel(command)
        if self.service.voice.bot_channel(command.guild_id) is None:
            raise UserError("controls.not_in_voice")
        await self.service.teardown(self.service.session(command.guild_id), "left")
        return ac.Done(t("controls.left"))

    async def seek(self, command: ac.Seek) -> ac.Done:
        """Move within the current track."""
        session, player = self.service.require_playing(command)
        track = session.queue.current
        assert track is not None
        if track.is_stream or not track.is_seekable:
            raise UserError("controls.not_seekable")
        position = command.target.resolve(
            session.live_position(self.service.clock()), track.length_ms
        )
        await player.seek(position)
        session.set_position(position, self.service.clock())
        await self.service.changed(session, "seek")
        return ac.Done(
            t("controls.jumped", position=format_duration(position) if position else "0:00")
        )

    async def set_volume(self, command: ac.SetVolume) -> ac.Done:
        """Set the volume (0–200 %, Lavalink's 100 is 100 %)."""
        if not 0 <= command.level <= 200:
            raise UserError("controls.volume_range")
        session = self.service.require_same_channel(command)
        player = self.service.voice.player(command.guild_id)
        # While the player is being rebuilt the old one is gone; the rebuild uses this volume.
        if player is not None and not session.rebuild_pending:
            await player.set_volume(command.level)
        session.volume = command.level
        await self.service.changed(session, "volume")
        return ac.Done(t("controls.volume_set", level=command.level))

    async def set_loop(self, command: ac.SetLoop) -> ac.Done:
        """Set or cycle the loop mode."""
        session = self.service.require_same_channel(command)
        mode = command.mode or LOOP_CYCLE.get(session.queue.loop, LoopMode.OFF)
        session.queue.loop = mode
        await self.service.changed(session, "loop")
        return ac.Done(t("controls.loop_set", mode=t(LOOP_NAMES[mode])))

    async def shuffle(self, command: ac.VoiceCommand) -> ac.Done:
        """Shuffle the upcoming tracks."""
        session = self.service.require_same_channel(command)
        if len(session.queue) < 2:
            raise UserError("controls.nothing_to_shuffle")
        session.queue.shuffle()
        await self.service.changed(session, "shuffle")
        return ac.Done(t("controls.shuffled", count=len(session.queue)))

    async def remove(self, command: ac.Remove) -> ac.Done:
        """Remove an upcoming track."""
        session = self.service.require_same_channel(command)
        track = session.queue.remove(command.position)
        await self.service.changed(session, "queue")
        return ac.Done(t("controls.removed", title=track.title))

    async def move(self, command: ac.Move) -> ac.Done:
        """Move an upcoming track."""
        session = self.service.require_same_channel(command)
        track = session.queue.move(command.source, command.target)
        await self.service.changed(session, "queue")
        return ac.Done(t("controls.moved", title=track.title, position=command.target))

    async def clear(self, command: ac.VoiceCommand) -> ac.Done:
        """Remove every upcoming track."""
        session = self.service.require_same_channel(command)
        dropped = session.queue.clear()
        await self.service.changed(session, "queue")
        return ac.Done(t("controls.cleared", count=dropped))
