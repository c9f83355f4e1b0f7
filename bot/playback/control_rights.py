"""The permission check of protected controls, run before their handler under the guild's lock."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import audio_commands as ac
from bot.errors import UserError
from bot.music.permissions import Action, Standing, refusal, standing
from bot.playback.ports import GuildPolicy
from bot.playback.session import GuildSession

if TYPE_CHECKING:
    from bot.playback.service import PlaybackService

# The commands only the requester of the current track, DJs and admins may run.
GUARDED: dict[type, Action] = {
    ac.Skip: Action.SKIP,
    ac.Previous: Action.PREVIOUS,
    ac.Stop: Action.STOP,
    ac.Leave: Action.LEAVE,
    ac.Clear: Action.CLEAR,
    ac.SetVolume: Action.VOLUME,
    ac.SetFilter: Action.FILTER,
    ac.ResetFilters: Action.FILTER,
}

# With nothing playing these disturb nobody; their handler gives the usual answer.
_FREE_WHEN_IDLE = frozenset({Action.SKIP, Action.PREVIOUS, Action.STOP, Action.CLEAR})


class ControlRights:
    """Decides, for the playback service, whether a member may run a protected control."""

    def __init__(self, service: PlaybackService) -> None:
        self.service = service

    async def check(self, command: Any) -> None:
        """Raise a friendly `UserError` when `command` is protected and its member may not."""
        action = GUARDED.get(type(command))
        if action is None:
            return
        # Being in the bot's channel comes first: its refusal says what to do.
        session = self.service.require_same_channel(command)
        if session.queue.current is None and action in _FREE_WHEN_IDLE:
            return
        policy = await self.service.policy(command.guild_id)
        if self.standing(command, session, policy) is None:
            raise UserError(refusal(action))

    def standing(
        self, command: ac.VoiceCommand, session: GuildSession, policy: GuildPolicy
    ) -> Standing | None:
        """Why the member behind `command` may control the guild's playback (None: they may not)."""
        guild_id = command.guild_id
        bot_channel = self.service.voice.bot_channel(guild_id)
        # Out of voice the bot plays to nobody; in voice, the member is one of the listeners.
        alone = bot_channel is None or self.service.voice.listeners(guild_id, bot_channel) <= 1
        current = session.queue.current
        return standing(
            command.rights,
            user_id=command.user_id,
            requester_id=current.requester_id if current is not None else None,
            dj_role_id=policy.dj_role_id,
            alone=alone,
        )
