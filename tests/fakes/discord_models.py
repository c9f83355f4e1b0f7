"""World model of the fake Discord: snowflakes, users, guilds, roles, channels, members,
voice states, permission arithmetic and the JSON payloads Discord sends for them.

Shapes follow Discord's API documentation (v10); ids go out as strings.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .discord import FakeDiscord

DISCORD_EPOCH_MS = 1420070400000


class P:
    """Permission bits (Discord "Permissions" table)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    SEND_MESSAGES_IN_THREADS = 1 << 38
    ALL = (1 << 51) - 1


DEFAULT_EVERYONE_PERMISSIONS = (
    P.CREATE_INSTANT_INVITE | P.ADD_REACTIONS | P.STREAM | P.VIEW_CHANNEL | P.SEND_MESSAGES
    | P.EMBED_LINKS | P.ATTACH_FILES | P.READ_MESSAGE_HISTORY | P.USE_EXTERNAL_EMOJIS
    | P.CONNECT | P.SPEAK | P.USE_VAD | P.CHANGE_NICKNAME | P.USE_APPLICATION_COMMANDS
    | P.SEND_MESSAGES_IN_THREADS
)
DEFAULT_BOT_PERMISSIONS = (
    P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.ATTACH_FILES | P.READ_MESSAGE_HISTORY
    | P.ADD_REACTIONS | P.USE_EXTERNAL_EMOJIS | P.CONNECT | P.SPEAK | P.USE_VAD
    | P.USE_APPLICATION_COMMANDS
)

# channel types
GUILD_TEXT = 0
GUILD_VOICE = 2
GUILD_CATEGORY = 4
GUILD_STAGE_VOICE = 13


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def sid(value: Any) -> int | None:
    """Normalise a snowflake given as int or str (or None)."""
    if value is None:
        return None
    return int(value)


def random_token(n: int = 16) -> str:
    return secrets.token_hex(n)


class Snowflakes:
    """Snowflake generator. Each id takes its own millisecond so ids are strictly increasing and
    consecutive guild ids spread over shards ((id >> 22) % shard_count)."""

    def __init__(self) -> None:
        self._last_ms = 0
        self._increment = itertools.count()

    def next(self) -> int:
        ms = max(int(time.time() * 1000) - DISCORD_EPOCH_MS, self._last_ms + 1)
        self._last_ms = ms
        return (ms << 22) | (1 << 17) | (next(self._increment) & 0xFFF)


@dataclass
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None

    @property
    def name(self) -> str:
        return self.username

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": self.avatar,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    guild: Guild = field(repr=False)
    id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False
    color: int = 0
    bot_id: int | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None,
                       "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow),
                "deny": str(self.deny)}


@dataclass
class Channel:
    guild: Guild = field(repr=False)
    id: int
    type: int
    name: str
    position: int = 0
    topic: str | None = None
    user_limit: int = 0
    bitrate: int = 64000
    parent_id: int | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict, repr=False)

    @property
    def is_voice(self) -> bool:
        return self.type in (GUILD_VOICE, GUILD_STAGE_VOICE)

    @property
    def is_text(self) -> bool:
        # voice channels have a text chat too; Discord accepts messages in them
        return self.type in (GUILD_TEXT, GUILD_VOICE, GUILD_STAGE_VOICE)

    def set_permissions(self, target: Role | Member, *, allow: int = 0, deny: int = 0) -> None:
        """Set a permission overwrite (role or member) on this channel. After READY this
        dispatches CHANNEL_UPDATE like Discord."""
        kind = 0 if isinstance(target, Role) else 1
        self.overwrites[target.id] = Overwrite(target.id, kind, allow, deny)
        self.guild.fake._world_changed("CHANNEL_UPDATE", self.guild, self.payload())

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild.id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [o.payload() for o in self.overwrites.values()],
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "nsfw": False,
            "flags": 0,
        }
        if self.type == GUILD_TEXT:
            data.update(topic=self.topic, rate_limit_per_user=0, last_message_id=None,
                        default_auto_archive_duration=1440)
        if self.is_voice:
            data.update(bitrate=self.bitrate, user_limit=self.user_limit, rtc_region=None,
                        video_quality_mode=1, rate_limit_per_user=0, last_message_id=None)
        return data


@dataclass
class Member:
    guild: Guild = field(repr=False)
    user: User
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=now_iso)
    deaf: bool = False
    mute: bool = False

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.username

    def payload(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in self.role_ids],
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": self.deaf,
            "mute": self.mute,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass
class VoiceState:
    guild_id: int
    user_id: int
    channel_id: int | None
    session_id: str
    self_mute: bool = False
    self_deaf: bool = False
    self_video: bool = False
    self_stream: bool = False
    deaf: bool = False
    mute: bool = False
    suppress: bool = False

    def payload(self, member: Member | None = None, *, with_guild: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "channel_id": str(self.channel_id) if self.channel_id is not None else None,
            "user_id": str(self.user_id),
            "session_id": self.session_id,
            "deaf": self.deaf,
            "mute": self.mute,
            "self_deaf": self.self_deaf,
            "self_mute": self.self_mute,
            "self_video": self.self_video,
            "self_stream": self.self_stream,
            "suppress": self.suppress,
            "request_to_speak_timestamp": None,
        }
        if with_guild:
            data["guild_id"] = str(self.guild_id)
        if member is not None:
            data["member"] = member.payload()
        return data


class Guild:
    """A guild in the fake world. Build it before the bot connects; changes made after READY
    are dispatched on the gateway (CHANNEL_CREATE, GUILD_ROLE_CREATE, GUILD_MEMBER_ADD, ...)."""

    def __init__(self, fake: FakeDiscord, guild_id: int, name: str) -> None:
        self.fake = fake
        self.id = guild_id
        self.name = name
        self.owner_id: int = 0
        self.joined_at = now_iso()
        self.roles: dict[int, Role] = {}
        self.channels: dict[int, Channel] = {}
        self.members: dict[int, Member] = {}
        self.voice_states: dict[int, VoiceState] = {}
        self.preferred_locale = "en-US"
        self.roles[guild_id] = Role(self, guild_id, "@everyone", DEFAULT_EVERYONE_PERMISSIONS)

    def __repr__(self) -> str:
        return f"<Guild id={self.id} name={self.name!r}>"

    # -- building ---------------------------------------------------------------------------
    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    @property
    def me(self) -> Member:
        """The bot's member in this guild."""
        return self.members[self.fake.bot_user.id]

    bot_member = me

    def add_role(self, name: str, permissions: int = 0, *, role_id: int | None = None) -> Role:
        role = Role(self, role_id or self.fake.snowflakes.next(), name, permissions,
                    position=len(self.roles))
        self.roles[role.id] = role
        self.fake._world_changed("GUILD_ROLE_CREATE", self,
                                 {"guild_id": str(self.id), "role": role.payload()})
        return role

    def _add_channel(self, name: str, type_: int, **kw: Any) -> Channel:
        ch = Channel(self, kw.pop("channel_id", None) or self.fake.snowflakes.next(), type_, name,
                     position=sum(1 for c in self.channels.values() if c.type == type_), **kw)
        self.channels[ch.id] = ch
        self.fake._world_changed("CHANNEL_CREATE", self, ch.payload())
        return ch

    def add_text_channel(self, name: str, *, topic: str | None = None,
                         channel_id: int | None = None) -> Channel:
        return self._add_channel(name, GUILD_TEXT, topic=topic, channel_id=channel_id)

    def add_voice_channel(self, name: str, user_limit: int = 0, *, bitrate: int = 64000,
                          channel_id: int | None = None) -> Channel:
        return self._add_channel(name, GUILD_VOICE, user_limit=user_limit, bitrate=bitrate,
                                 channel_id=channel_id)

    def add_member(self, name: str, roles: tuple[Role, ...] | list[Role] = (),
                   permissions: int | None = None, *, user_id: int | None = None,
                   bot: bool = False, nick: str | None = None,
                   global_name: str | None = None) -> Member:
        """Add a member. ``permissions`` (if given) creates a personal role with those
        permission bits on top of @everyone."""
        user = self.fake._user(name, user_id=user_id, bot=bot, global_name=global_name)
        role_ids = [r.id for r in roles]
        if permissions is not None:
            role_ids.append(self.add_role(f"{name}-permissions", permissions).id)
        member = Member(self, user, role_ids, nick=nick)
        self.members[user.id] = member
        if not self.owner_id:
            self.owner_id = user.id
        self.fake._world_changed("GUILD_MEMBER_ADD", self,
                                 {**member.payload(), "guild_id": str(self.id)},
                                 intent=1 << 1)
        return member

    # -- lookups ----------------------------------------------------------------------------
    def member(self, user_id: int) -> Member:
        return self.members[int(user_id)]

    def channel(self, channel_id: int) -> Channel:
        return self.channels[int(channel_id)]

    @property
    def text_channels(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.type == GUILD_TEXT]

    @property
    def voice_channels(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.is_voice]

    def voice_members(self, channel: Channel | int) -> list[Member]:
        cid = channel.id if isinstance(channel, Channel) else int(channel)
        return [self.members[v.user_id] for v in self.voice_states.values()
                if v.channel_id == cid and v.user_id in self.members]

    # -- permissions ------------------------------------------------------------------------
    def base_permissions(self, member: Member) -> int:
        if member.id == self.owner_id:
            return P.ALL
        perms = self.everyone.permissions
        for rid in member.role_ids:
            role = self.roles.get(rid)
            if role is not None:
                perms |= role.permissions
        return P.ALL if perms & P.ADMINISTRATOR else perms

    def permissions_for(self, member: Member, channel: Channel | None = None) -> int:
        """Discord's permission algorithm: base permissions, then @everyone, role and member
        overwrites; no VIEW_CHANNEL means no permissions in the channel."""
        perms = self.base_permissions(member)
        if channel is None or perms & P.ADMINISTRATOR:
            return perms
        ow = channel.overwrites.get(self.id)
        if ow:
            perms = (perms & ~ow.deny) | ow.allow
        allow = deny = 0
        for rid in member.role_ids:
            ow = channel.overwrites.get(rid)
            if ow and ow.type == 0:
                allow |= ow.allow
                deny |= ow.deny
        perms = (perms & ~deny) | allow
        ow = channel.overwrites.get(member.id)
        if ow and ow.type == 1:
            perms = (perms & ~ow.deny) | ow.allow
        if not perms & P.VIEW_CHANNEL:
            return 0
        if channel.is_voice and not perms & P.CONNECT:
            perms &= ~(P.SPEAK | P.USE_VAD | P.STREAM | P.PRIORITY_SPEAKER)
        return perms

    # -- payloads ---------------------------------------------------------------------------
    def rest_payload(self) -> dict[str, Any]:
        """Guild object as returned by GET /guilds/{id}."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "region": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": self.preferred_locale,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "nsfw_level": 0,
        }

    def gateway_members(self, intents: int, *, full: bool) -> list[Member]:
        """Members sent in GUILD_CREATE. Discord sends the full list only with the
        GUILD_PRESENCES intent (and not for large guilds); otherwise the bot itself plus
        the members in voice channels."""
        if full or (intents & (1 << 8) and len(self.members) <= 250):
            return list(self.members.values())
        ids = {self.fake.bot_user.id}
        if intents & (1 << 7):
            ids |= {v.user_id for v in self.voice_states.values() if v.channel_id}
        return [m for uid, m in self.members.items() if uid in ids]

    def gateway_payload(self, intents: int, *, full_members: bool) -> dict[str, Any]:
        """GUILD_CREATE payload (guild object plus the gateway-only extra fields)."""
        members = self.gateway_members(intents, full=full_members)
        data = self.rest_payload()
        data.update(
            joined_at=self.joined_at,
            large=len(self.members) > 250,
            unavailable=False,
            member_count=len(self.members),
            voice_states=[v.payload(with_guild=False) for v in self.voice_states.values()
                          if v.channel_id] if intents & (1 << 7) else [],
            members=[m.payload() for m in members],
            channels=[c.payload() for c in self.channels.values()],
            threads=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return data
