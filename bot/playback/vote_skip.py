"""/voteskip on the audio side: count the listeners' votes and skip when enough agree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import audio_commands as ac
from bot.errors import UserError
from bot.i18n import t
from bot.music.votes import VoteBook

if TYPE_CHECKING:
    from bot.playback.service import PlaybackService


class VoteSkip:
    """Vote-skip of the playback service; votes end with their track (`track_changed`)."""

    def __init__(self, service: PlaybackService) -> None:
        self.service = service
        self.book = VoteBook()

    async def vote(self, command: ac.VoteSkip) -> ac.Done:
        """One member's vote; the requester, DJs and admins (and a lone listener) skip at once."""
        service = self.service
        session, _player = service.require_playing(command)
        track = session.queue.current
        assert track is not None
        policy = await service.policy(command.guild_id)
        if service.rights.standing(command, session, policy) is not None:
            return await self._skip(command)
        bot_channel = service.voice.bot_channel(command.guild_id)
        listeners = (
            service.voice.listener_ids(command.guild_id, bot_channel)
            if bot_channel
            else frozenset()
        )
        tally = self.book.vote(
            command.guild_id,
            track,
            command.user_id,
            listeners=listeners,
            ratio=policy.vote_skip_ratio,
        )
        count = f"{tally.votes}/{tally.needed}"
        if tally.passed:
            done = await self._skip(command)
            return ac.Done(t("vote.passed", count=count, then=done.text))
        if tally.repeated:
            raise UserError("vote.already_voted", count=count)
        return ac.Done(t("vote.counted", title=track.title, count=count))

    def track_changed(self, guild_id: int) -> None:
        """A new track (or none) plays: the open vote is over."""
        self.book.reset(guild_id)

    async def _skip(self, command: ac.VoteSkip) -> ac.Done:
        return await self.service.controls.skip(
            ac.Skip(
                guild_id=command.guild_id,
                user_id=command.user_id,
                channel_id=command.channel_id,
                origin=command.origin,
                correlation_id=command.correlation_id,
                voice_channel_id=command.voice_channel_id,
                rights=command.rights,
            )
        )
