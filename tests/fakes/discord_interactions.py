"""Interactions in the fake Discord: injecting slash commands, component clicks, autocomplete
and modal submits as INTERACTION_CREATE, and answering the bot's callback / follow-up /
original-message webhook requests like Discord does."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .discord_handle import Interaction
from .discord_models import Channel, Guild, Member, P, Role, User, random_token
from .discord_validate import (
    EPHEMERAL,
)

if TYPE_CHECKING:
    from .discord import FakeDiscord

MESSAGE_FLAGS_ALLOWED = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)
SELECT_TYPES = (3, 5, 6, 7, 8)


def _find_component(components: list[Any], custom_id: str) -> dict[str, Any] | None:
    for c in components:
        if not isinstance(c, dict):
            continue
        if c.get("custom_id") == custom_id:
            return c
        found = _find_component(c.get("components") or [], custom_id)
        if found is None and isinstance(c.get("accessory"), dict):
            found = _find_component([c["accessory"]], custom_id)
        if found is None and isinstance(c.get("component"), dict):
            found = _find_component([c["component"]], custom_id)
        if found is not None:
            return found
    return None


def _custom_ids(components: list[Any]) -> list[str]:
    out = []
    for c in components:
        if isinstance(c, dict):
            if c.get("custom_id"):
                out.append(c["custom_id"])
            out += _custom_ids(c.get("components") or [])
            for key in ("accessory", "component"):
                if isinstance(c.get(key), dict):
                    out += _custom_ids([c[key]])
    return out


class InteractionMixin:
    """Mixed into FakeDiscord."""

    # -- context resolution ------------------------------------------------------------------
    def _resolve_context(self: FakeDiscord, user: Member | int, guild: Guild | int | None,
                         channel: Channel | int | None) -> tuple[Guild, Channel, Member]:
        if isinstance(channel, int):
            found = self.channel(channel)
            if found is None:
                raise LookupError(f"fake discord: unknown channel {channel}")
            channel = found
        if isinstance(guild, int):
            guild = self.guilds[guild]
        if guild is None:
            if channel is not None:
                guild = channel.guild
            elif isinstance(user, Member):
                guild = user.guild
            else:
                raise ValueError("fake discord: pass guild= or channel=")
        if channel is None:
            if not guild.text_channels:
                raise ValueError(f"fake discord: {guild!r} has no text channel")
            channel = guild.text_channels[0]
        if channel.guild is not guild:
            raise ValueError(f"fake discord: channel {channel.id} is not in {guild!r}")
        uid = user.id if isinstance(user, Member) else int(user)
        member = guild.members.get(uid)
        if member is None:
            raise ValueError(f"fake discord: user {uid} is not a member of {guild!r}")
        return guild, channel, member

    def _find_command(self: FakeDiscord, name: str, guild: Guild,
                      ctype: int = 1) -> dict[str, Any]:
        for scope in (guild.id, None):
            cmd = self.synced_commands.get(scope, {}).get((ctype, name))
            if cmd is not None:
                return cmd
        synced = {scope: sorted(n for _, n in table) for scope, table in
                  self.synced_commands.items()}
        raise LookupError(f"fake discord: command {name!r} (type {ctype}) was not synced for "
                          f"guild {guild.id} or globally; synced: {synced}")

    def _check_can_use(self: FakeDiscord, cmd: dict[str, Any], member: Member,
                       channel: Channel) -> int:
        perms = channel.guild.permissions_for(member, channel)
        if not perms & P.USE_APPLICATION_COMMANDS:
            raise PermissionError(f"fake discord: {member.name} lacks USE_APPLICATION_COMMANDS "
                                  f"in channel {channel.name}; Discord would not offer it")
        dmp = cmd.get("default_member_permissions")
        if dmp is not None and int(dmp) & ~perms:
            raise PermissionError(f"fake discord: {member.name} lacks default_member_permissions "
                                  f"{dmp} of /{cmd['name']}; Discord would not offer it")
        contexts = cmd.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise PermissionError(f"fake discord: /{cmd['name']} is not usable in guilds")
        return perms

    def _leaf(self: FakeDiscord, cmd: dict[str, Any], subcommand: str | None,
              ) -> tuple[list[dict[str, Any]], Callable[[list[Any]], list[Any]]]:
        defs = cmd.get("options") or []
        has_subs = any(o.get("type") in (1, 2) for o in defs)
        if not subcommand:
            if has_subs:
                names = [o["name"] for o in defs]
                raise ValueError(f"fake discord: /{cmd['name']} needs a subcommand: {names}")
            return defs, lambda opts: opts
        path = subcommand.split()
        wrappers: list[tuple[int, str]] = []
        for part in path:
            node = next((o for o in defs if o.get("name") == part and o.get("type") in (1, 2)),
                        None)
            if node is None:
                raise ValueError(f"fake discord: /{cmd['name']} has no subcommand {subcommand!r}")
            wrappers.append((node["type"], part))
            defs = node.get("options") or []
        if wrappers[-1][0] != 1:
            raise ValueError(f"fake discord: {subcommand!r} is a group, not a subcommand")

        def wrap(opts: list[Any]) -> list[Any]:
            for otype, name in reversed(wrappers):
                opts = [{"type": otype, "name": name, "options": opts}]
            return opts

        return defs, wrap

    def _option_value(self: FakeDiscord, d: dict[str, Any], value: Any, guild: Guild,
                      member: Member, resolved: dict[str, dict[str, Any]]) -> Any:
        name, otype = d["name"], d["type"]

        def bad(why: str) -> ValueError:
            return ValueError(f"fake discord: option {name!r}: {why}; the Discord client "
                              "would not let the user send it")

        if otype == 3:
            if not isinstance(value, str):
                raise bad("must be a string")
            if len(value) < d.get("min_length", 0) or len(value) > d.get("max_length", 6000):
                raise bad("length out of bounds")
        elif otype in (4, 10):
            ok = isinstance(value, int) if otype == 4 else isinstance(value, (int, float))
            if not ok or isinstance(value, bool):
                raise bad("wrong number type")
            if d.get("min_value") is not None and value < d["min_value"]:
                raise bad("below min_value")
            if d.get("max_value") is not None and value > d["max_value"]:
                raise bad("above max_value")
        elif otype == 5:
            if not isinstance(value, bool):
                raise bad("must be a bool")
        elif otype == 6 or (otype == 9 and isinstance(value, (Member, User))):
            uid = value.id if isinstance(value, (Member, User)) else int(value)
            target = guild.members.get(uid)
            if target is None:
                raise bad(f"user {uid} is not in the guild")
            resolved.setdefault("users", {})[str(uid)] = target.user.payload()
            resolved.setdefault("members", {})[str(uid)] = {
                **target.payload(with_user=False),
                "permissions": str(guild.permissions_for(target))}
            return str(uid)
        elif otype in (8, 9):
            rid = value.id if isinstance(value, Role) else int(value)
            if rid not in guild.roles:
                raise bad(f"role {rid} is not in the guild")
            resolved.setdefault("roles", {})[str(rid)] = guild.roles[rid].payload()
            return str(rid)
        elif otype == 7:
            ch = value if isinstance(value, Channel) else guild.channels.get(int(value))
            if ch is None or ch.guild is not guild:
                raise bad("unknown channel")
            if d.get("channel_types") and ch.type not in d["channel_types"]:
                raise bad(f"channel type {ch.type} not in {d['channel_types']}")
            resolved.setdefault("channels", {})[str(ch.id)] = {
                "id": str(ch.id), "name": ch.name, "type": ch.type,
                "parent_id": str(ch.parent_id) if ch.parent_id else None,
                "permissions": str(guild.permissions_for(member, ch))}
            return str(ch.id)
        else:
            raise NotImplementedError(f"fake discord: option type {otype} not supported")
        if d.get("choices") and value not in [c["value"] for c in d["choices"]]:
            raise bad(f"{value!r} is not one of the choices")
        return value

    def _build_options(self: FakeDiscord, defs: list[dict[str, Any]], given: dict[str, Any],
                       guild: Guild, member: Member, resolved: dict[str, Any], *,
                       focused: str | None = None) -> list[dict[str, Any]]:
        by_name = {d["name"]: d for d in defs}
        extra = set(given) - set(by_name)
        if extra:
            raise ValueError(f"fake discord: unknown option(s) {sorted(extra)}; "
                             f"the command has {sorted(by_name)}")
        out = []
        for d in defs:
            if d["name"] not in given:
                if d.get("required") and focused is None:
                    raise ValueError(f"fake discord: required option {d['name']!r} missing")
                continue
            value = given[d["name"]]
            if d["name"] == focused:
                out.append({"name": d["name"], "type": d["type"], "value": str(value),
                            "focused": True})
                continue
            out.append({"name": d["name"], "type": d["type"],
                        "value": self._option_value(d, value, guild, member, resolved)})
        return out

    def _dispatch_interaction(self: FakeDiscord, itype: int, guild: Guild, channel: Channel,
                              member: Member, data: dict[str, Any], *, locale: str = "en-US",
                              message: dict[str, Any] | None = None,
                              **kw: Any) -> Interaction:
        perms = guild.permissions_for(member, channel)
        app_perms = guild.permissions_for(guild.me, channel)
        payload: dict[str, Any] = {
            "id": str(self.snowflakes.next()),
            "application_id": str(self.application_id),
            "type": itype,
            "token": "aW50ZXJhY3Rpb246" + random_token(24),
            "version": 1,
            "data": data,
            "guild": {"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
            "guild_id": str(guild.id),
            "channel": {**channel.payload(), "permissions": str(perms)},
            "channel_id": str(channel.id),
            "member": {**member.payload(), "permissions": str(perms)},
            "app_permissions": str(app_perms),
            "locale": locale,
            "guild_locale": guild.preferred_locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        session = self._session_for_guild(guild.id)
        inter = Interaction(self, itype, payload, guild, channel, member,
                            source_message=message, **kw)
        self.interactions[inter.id] = inter
        self.interactions_by_token[inter.token] = inter
        session.dispatch("INTERACTION_CREATE", payload)
        self._pulse()
        return inter

    # -- injection API -----------------------------------------------------------------------
    async def slash(self: FakeDiscord, name: str, *, user: Member | int,
                    guild: Guild | int | None = None, channel: Channel | int | None = None,
                    options: dict[str, Any] | None = None, subcommand: str | None = None,
                    locale: str = "en-US") -> Interaction:
        """A member runs /name (optionally "group sub" via ``subcommand``). Options are
        typed from the synced command definition; the command must have been synced."""
        guild, channel, member = self._resolve_context(user, guild, channel)
        cmd = self._find_command(name, guild)
        self._check_can_use(cmd, member, channel)
        defs, wrap = self._leaf(cmd, subcommand)
        resolved: dict[str, Any] = {}
        opts = self._build_options(defs, options or {}, guild, member, resolved)
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1,
                                "options": wrap(opts)}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return self._dispatch_interaction(2, guild, channel, member, data, locale=locale,
                                          command=cmd)

    async def autocomplete(self: FakeDiscord, name: str, focused_option: str, value: Any, *,
                           user: Member | int, options: dict[str, Any] | None = None,
                           guild: Guild | int | None = None,
                           channel: Channel | int | None = None, subcommand: str | None = None,
                           timeout: float = 5.0) -> list[dict[str, Any]]:
        """A member types ``value`` into ``focused_option``; returns the choices the bot
        answered with (callback type 8)."""
        guild, channel, member = self._resolve_context(user, guild, channel)
        cmd = self._find_command(name, guild)
        self._check_can_use(cmd, member, channel)
        defs, wrap = self._leaf(cmd, subcommand)
        focused_def = next((d for d in defs if d["name"] == focused_option), None)
        if focused_def is None or not focused_def.get("autocomplete"):
            raise ValueError(f"fake discord: option {focused_option!r} of /{name} has no "
                             "autocomplete; Discord would not send an autocomplete interaction")
        given = {**(options or {}), focused_option: value}
        resolved: dict[str, Any] = {}
        opts = self._build_options(defs, given, guild, member, resolved, focused=focused_option)
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1,
                                "options": wrap(opts)}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        inter = self._dispatch_interaction(4, guild, channel, member, data, command=cmd,
                                           focused_type=focused_def["type"])
        await inter.wait_response(timeout)
        return list(inter.choices or [])

    async def click(self: FakeDiscord, message: dict[str, Any] | int | str, custom_id: str, *,
                    user: Member | int, values: list[str] | None = None) -> Interaction:
        """A member clicks a button / picks select values on a message the bot sent."""
        mid = int(message["id"]) if isinstance(message, dict) else int(message)
        msg = self.message(mid)
        if msg is None:
            raise LookupError(f"fake discord: message {mid} is not stored (never sent, or "
                              "deleted)")
        comp = _find_component(msg.get("components") or [], custom_id)
        if comp is None:
            raise LookupError(f"fake discord: message {mid} has no component {custom_id!r}; "
                              f"it has {_custom_ids(msg.get('components') or [])}")
        if comp.get("disabled"):
            raise ValueError(f"fake discord: component {custom_id!r} is disabled")
        channel = self.channel(int(msg["channel_id"]))
        assert channel is not None
        guild, channel, member = self._resolve_context(user, channel.guild, channel)
        if msg["flags"] & EPHEMERAL:
            owner = msg.get("interaction_metadata", {}).get("user", {}).get("id")
            if owner != str(member.id):
                raise PermissionError("fake discord: only the invoking user sees an ephemeral "
                                      "message")
        ctype = comp["type"]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype}
        if ctype == 2:
            if values is not None:
                raise ValueError("fake discord: buttons take no values")
        elif ctype in SELECT_TYPES:
            if values is None:
                raise ValueError("fake discord: a select needs values=[...]")
            lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
            if not lo <= len(values) <= hi:
                raise ValueError(f"fake discord: select takes {lo}..{hi} values")
            if ctype == 3:
                allowed = [o["value"] for o in comp.get("options") or []]
                bad = [v for v in values if v not in allowed]
                if bad:
                    raise ValueError(f"fake discord: {bad} not among options {allowed}")
            data["values"] = [str(v) for v in values]
        else:
            raise ValueError(f"fake discord: component type {ctype} is not clickable")
        return self._dispatch_interaction(3, guild, channel, member, data, message=msg)

    async def submit_modal(self: FakeDiscord, interaction: Interaction, values: dict[str, str],
                           *, user: Member | int | None = None) -> Interaction:
        """Submit the modal the bot opened in answer to ``interaction`` (callback type 9)."""
        modal = interaction.modal
        if modal is None:
            raise ValueError(f"fake discord: {interaction!r} was not answered with a modal")
        components = []
        for row in modal.get("components") or []:
            if row.get("type") == 18:  # label wrapping one component
                inner = row["component"]
                components.append({"type": 18, "component": {
                    "type": inner["type"], "custom_id": inner["custom_id"],
                    "value": values.get(inner["custom_id"], "")}})
                continue
            children = []
            for c in row.get("components") or []:
                if c.get("required", True) and c.get("custom_id") not in values:
                    raise ValueError(f"fake discord: required field {c.get('custom_id')!r}")
                children.append({"type": c["type"], "custom_id": c["custom_id"],
                                 "value": values.get(c["custom_id"], "")})
            components.append({"type": 1, "components": children})
        guild, channel, member = self._resolve_context(
            user or interaction.member, interaction.guild, interaction.channel)
        data = {"custom_id": modal["custom_id"], "components": components}
        source = (self.message(interaction.source_message_id)
                  if interaction.source_message_id else None)
        return self._dispatch_interaction(5, guild, channel, member, data, message=source)
