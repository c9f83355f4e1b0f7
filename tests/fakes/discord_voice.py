"""Voice in the fake Discord: the bot's op 4 (VOICE_STATE_UPDATE, VOICE_SERVER_UPDATE,
permission and user-limit checks), member voice moves, and op 8 member chunk requests."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .discord_gateway import GUILD_VOICE_STATES, GatewaySession
from .discord_models import Guild, P, VoiceState, random_token, sid

if TYPE_CHECKING:
    from .discord import FakeDiscord
    from .discord_models import Channel, Member


class VoiceMixin:
    """Mixed into FakeDiscord."""

    def _voice_state_op(self: FakeDiscord, session: GatewaySession, d: Any) -> None:
        self.voice_updates.append(d)
        self.voice_update_times.append(time.monotonic())
        if not isinstance(d, dict):
            return
        guild_id, channel_id = sid(d.get("guild_id")), sid(d.get("channel_id"))
        guild = self.guilds.get(guild_id) if guild_id is not None else None

        def deny(reason: str) -> None:
            self.voice_denied.append({"payload": d, "reason": reason})

        if guild is None or not session.handles_guild(guild.id):
            deny("unknown guild for this shard")
            return
        if channel_id is not None and self.lost_joins.get(guild.id, 0) > 0:
            self.lost_joins[guild.id] -= 1
            deny("join lost (fault injection)")
            return
        me = guild.me
        prev = guild.voice_states.get(me.id)
        state = VoiceState(guild.id, me.id, channel_id, session.id,
                           self_mute=bool(d.get("self_mute")), self_deaf=bool(d.get("self_deaf")))
        if channel_id is None:
            guild.voice_states.pop(me.id, None)
            self._dispatch_voice_state(guild, me, state)
            return
        channel = guild.channels.get(channel_id)
        if channel is None or not channel.is_voice:
            deny("not a voice channel")
            return
        perms = guild.permissions_for(me, channel)
        if not perms & P.VIEW_CHANNEL or not perms & P.CONNECT:
            deny("missing VIEW_CHANNEL/CONNECT")
            return
        others = [m for m in guild.voice_members(channel) if m.id != me.id]
        if channel.user_limit and len(others) >= channel.user_limit and not (
                perms & P.MOVE_MEMBERS):
            deny("voice channel is full")
            return
        guild.voice_states[me.id] = state
        self._dispatch_voice_state(guild, me, state)
        if prev is None or prev.channel_id is None:
            self._voice_server_update(session, guild)

    def _forget_earlier_bot_voice(self: FakeDiscord, session: GatewaySession) -> None:
        """A fresh IDENTIFY replaces the bot's earlier sessions on its guilds and Discord
        drops their voice states, so GUILD_CREATE shows the bot in no voice channel and a
        single op 4 joins again. (A clean `close()` leaves them to Discord: mafic's
        `Player.disconnect` sends nothing once the client is closing.)"""
        for guild in self.guilds.values():
            state = guild.voice_states.get(self.bot_user.id)
            if state is not None and state.session_id != session.id and session.handles_guild(
                    guild.id):
                del guild.voice_states[self.bot_user.id]

    def _voice_server_update(self: FakeDiscord, session: GatewaySession, guild: Guild,
                             endpoint: str | None = ...) -> None:  # type: ignore[assignment]
        if endpoint is ...:
            endpoint = self.voice_endpoint or f"127.0.0.1:{self.port}"
        data = {"token": random_token(8), "guild_id": str(guild.id), "endpoint": endpoint}
        self.voice_server_updates.append(data)
        session.dispatch("VOICE_SERVER_UPDATE", data)
        self._pulse()

    def _dispatch_voice_state(self: FakeDiscord, guild: Guild, member: Member,
                              state: VoiceState) -> None:
        self._dispatch_guild(guild.id, "VOICE_STATE_UPDATE", state.payload(member),
                             GUILD_VOICE_STATES)

    def _request_members(self: FakeDiscord, session: GatewaySession, d: Any) -> None:
        self.chunk_requests.append(d)
        if not isinstance(d, dict):
            return
        gids = d.get("guild_id")
        for gid in gids if isinstance(gids, list) else [gids]:
            guild = self.guilds.get(sid(gid) or 0)
            if guild is None:
                continue
            members = list(guild.members.values())
            if d.get("user_ids"):
                wanted = {int(u) for u in d["user_ids"]}
                members = [m for m in members if m.id in wanted]
            elif d.get("query"):
                members = [m for m in members
                           if m.user.username.lower().startswith(d["query"].lower())]
            if d.get("limit"):
                members = members[: d["limit"]]
            chunk = {"guild_id": str(guild.id), "members": [m.payload() for m in members],
                     "chunk_index": 0, "chunk_count": 1, "not_found": []}
            if d.get("nonce") is not None:
                chunk["nonce"] = d["nonce"]
            session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # -- voice (members) ---------------------------------------------------------------------
    def bot_voice_state(self, guild: Guild | int) -> VoiceState | None:
        g = guild if isinstance(guild, Guild) else self.guilds[int(guild)]
        return g.voice_states.get(self.bot_user.id)

    async def join_voice(self, guild: Guild, member: Member, channel: Channel, *,
                         self_mute: bool = False, self_deaf: bool = False) -> VoiceState:
        """A member joins (or moves to) a voice channel: VOICE_STATE_UPDATE."""
        if not channel.is_voice or channel.guild is not guild:
            raise ValueError(f"fake discord: {channel.name} is not a voice channel of {guild!r}")
        prev = guild.voice_states.get(member.id)
        state = VoiceState(guild.id, member.id, channel.id,
                           prev.session_id if prev else random_token(16),
                           self_mute=self_mute, self_deaf=self_deaf)
        guild.voice_states[member.id] = state
        self._dispatch_voice_state(guild, member, state)
        return state

    move_voice = join_voice

    async def leave_voice(self, guild: Guild, member: Member) -> None:
        prev = guild.voice_states.pop(member.id, None)
        state = VoiceState(guild.id, member.id, None,
                           prev.session_id if prev else random_token(16))
        self._dispatch_voice_state(guild, member, state)

    def lose_voice_joins(self, guild: Guild, count: int = 1) -> None:
        """Leave the bot's next `count` joins in the guild unanswered, as when Discord loses
        one: no VOICE_STATE_UPDATE, no VOICE_SERVER_UPDATE (the client's connect times out)."""
        self.lost_joins[guild.id] = count

    async def send_voice_server_update(self, guild: Guild, endpoint: str | None = ...,  # type: ignore[assignment]
                                       ) -> None:
        """Dispatch a fresh VOICE_SERVER_UPDATE (voice server moved; endpoint None = wait)."""
        self._voice_server_update(self._session_for_guild(guild.id), guild, endpoint)
