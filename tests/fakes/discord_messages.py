"""Messages in the fake Discord: channel message routes (permissions, validation) and the
message store shared with interaction responses (MESSAGE_CREATE/UPDATE/DELETE dispatch)."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from .discord_gateway import GUILD_MESSAGES, MESSAGE_CONTENT
from .discord_models import Channel, P, now_iso, sid
from .discord_rest import SUPPRESS_EMBEDS, ApiError, RecordedRequest, unknown
from .discord_validate import FormErrors, is_empty_message, validate_message

if TYPE_CHECKING:
    from .discord import FakeDiscord


class MessagesMixin:
    """Mixed into FakeDiscord."""

    def _channel_or_404(self: FakeDiscord, cid: str | int) -> Channel:
        channel = self.channel(int(cid))
        if channel is None:
            raise unknown("Channel", 10003)
        return channel

    def _require(self: FakeDiscord, channel: Channel, *bits: int) -> None:
        perms = channel.guild.permissions_for(channel.guild.me, channel)
        if not perms & P.VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        for bit in bits:
            if not perms & bit:
                raise ApiError(403, 50013, "Missing Permissions")

    def _channel_message(self: FakeDiscord, channel: Channel, mid: str) -> dict[str, Any]:
        for msg in self.messages.get(channel.id, []):
            if msg["id"] == str(mid):
                return msg
        raise unknown("Message", 10008)

    async def _r_get_channel(self: FakeDiscord, rec: RecordedRequest,
                             cid: str) -> tuple[int, Any]:
        channel = self._channel_or_404(cid)
        self._require(channel)
        return 200, channel.payload()

    async def _r_list_messages(self: FakeDiscord, rec: RecordedRequest,
                               cid: str) -> tuple[int, Any]:
        channel = self._channel_or_404(cid)
        self._require(channel, P.READ_MESSAGE_HISTORY)
        msgs = list(reversed(self.messages.get(channel.id, [])))  # newest first
        q = rec.query
        if "before" in q:
            msgs = [m for m in msgs if int(m["id"]) < int(q["before"])]
        if "after" in q:
            msgs = [m for m in msgs if int(m["id"]) > int(q["after"])]
        limit = int(q.get("limit", 50))
        if not 1 <= limit <= 100:
            errs = FormErrors()
            errs.add(("limit",), "NUMBER_TYPE_MAX", "int value should be <= 100.")
            raise ApiError.form(errs)
        return 200, msgs[:limit]

    async def _r_get_message(self: FakeDiscord, rec: RecordedRequest, cid: str,
                             mid: str) -> tuple[int, Any]:
        channel = self._channel_or_404(cid)
        self._require(channel, P.READ_MESSAGE_HISTORY)
        return 200, self._channel_message(channel, mid)

    async def _r_create_message(self: FakeDiscord, rec: RecordedRequest,
                                cid: str) -> tuple[int, Any]:
        channel = self._channel_or_404(cid)
        if not channel.is_text:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        self._require(channel, P.SEND_MESSAGES)
        payload = rec.json if isinstance(rec.json, dict) else {}
        errs = FormErrors()
        validate_message(errs, (), rec.json)
        ref = payload.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id"):
            try:
                self._channel_message(channel, str(ref["message_id"]))
            except ApiError:
                if ref.get("fail_if_not_exists", True):
                    errs.add(("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                             "Unknown message")
        if errs:
            raise ApiError.form(errs)
        if is_empty_message(payload, len(rec.files)):
            raise ApiError(400, 50006, "Cannot send an empty message")
        flags = (payload.get("flags") or 0) & (SUPPRESS_EMBEDS | 4096 | (1 << 15))
        msg = self._new_message(channel, self.bot_user, payload, flags=flags,
                                type_=19 if ref else 0, files=rec.files)
        return 200, msg

    async def _r_edit_message(self: FakeDiscord, rec: RecordedRequest, cid: str,
                              mid: str) -> tuple[int, Any]:
        channel = self._channel_or_404(cid)
        self._require(channel)
        msg = self._channel_message(channel, mid)
        payload = rec.json if isinstance(rec.json, dict) else {}
        if msg["author"]["id"] != str(self.bot_user.id) and set(payload) - {"flags"}:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        errs = FormErrors()
        validate_message(errs, (), rec.json)
        if errs:
            raise ApiError.form(errs)
        return 200, self._edit_message(msg, payload, rec.files)

    async def _r_delete_message(self: FakeDiscord, rec: RecordedRequest, cid: str,
                                mid: str) -> tuple[int, Any]:
        channel = self._channel_or_404(cid)
        self._require(channel)
        msg = self._channel_message(channel, mid)
        if msg["author"]["id"] != str(self.bot_user.id):
            self._require(channel, P.MANAGE_MESSAGES)
        self._delete_message(msg)
        return 204, None

    async def _r_typing(self: FakeDiscord, rec: RecordedRequest, cid: str) -> tuple[int, Any]:
        channel = self._channel_or_404(cid)
        self._require(channel, P.SEND_MESSAGES)
        return 204, None

    # -- message store -----------------------------------------------------------------------
    def _normalise_components(self: FakeDiscord, components: Any) -> list[dict[str, Any]]:
        out = copy.deepcopy(components or [])
        counter = iter(range(1, 10_000))

        def walk(items: list[Any]) -> None:
            for c in items:
                if not isinstance(c, dict):
                    continue
                c.setdefault("id", next(counter))
                if c.get("type") == 2:
                    c.setdefault("disabled", False)
                walk(c.get("components") or [])
                if isinstance(c.get("accessory"), dict):
                    walk([c["accessory"]])

        walk(out)
        return out

    def _attachments(self: FakeDiscord, payload: dict[str, Any], files: list[dict[str, Any]],
                     existing: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        out = []
        keep = {str(a.get("id")) for a in payload.get("attachments") or [] if isinstance(a, dict)}
        for att in existing or []:
            if att["id"] in keep:
                out.append(att)
        for f in files:
            aid = str(self.snowflakes.next())
            out.append({"id": aid, "filename": f["filename"] or "file", "size": f["size"],
                        "url": f"{self.base_url}/attachments/{aid}/{f['filename']}",
                        "proxy_url": f"{self.base_url}/attachments/{aid}/{f['filename']}",
                        "content_type": f.get("content_type")})
        return out

    def _new_message(self: FakeDiscord, channel: Channel, author: Any, payload: dict[str, Any],
                     *, flags: int = 0, type_: int = 0, files: list[dict[str, Any]] = (),  # type: ignore[assignment]
                     interaction: Any = None, store: bool = True) -> dict[str, Any]:
        guild = channel.guild
        content = payload.get("content") or ""
        mentions = []
        for uid in re.findall(r"<@!?(\d+)>", content):
            member = guild.members.get(int(uid))
            if member is not None:
                mentions.append({**member.user.payload(), "member": member.payload(
                    with_user=False)})
        msg: dict[str, Any] = {
            "id": str(self.snowflakes.next()),
            "channel_id": str(channel.id),
            "type": type_,
            "content": content,
            "author": author.payload(),
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts")),
            "mention_everyone": False,
            "mentions": mentions,
            "mention_roles": [],
            "attachments": self._attachments(payload, list(files)),
            "embeds": [{"type": "rich", **e} for e in payload.get("embeds") or []],
            "pinned": False,
            "flags": flags,
            "components": self._normalise_components(payload.get("components")),
        }
        if payload.get("nonce") is not None:
            msg["nonce"] = payload["nonce"]
        ref = payload.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id"):
            msg["message_reference"] = {"type": 0, "message_id": str(ref["message_id"]),
                                        "channel_id": str(channel.id),
                                        "guild_id": str(guild.id)}
        if interaction is not None:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
            msg["interaction_metadata"] = interaction.metadata()
        if store:
            self._store_message(channel, msg)
        return msg

    def _store_message(self: FakeDiscord, channel: Channel, msg: dict[str, Any]) -> None:
        self.message_index[int(msg["id"])] = msg
        if msg["flags"] & 64:
            self.ephemeral_messages[int(msg["id"])] = msg
        else:
            self.messages.setdefault(channel.id, []).append(msg)
            self._dispatch_message("MESSAGE_CREATE", channel, msg)
        self._pulse()

    def _dispatch_message(self: FakeDiscord, event: str, channel: Channel,
                          msg: dict[str, Any]) -> None:
        guild = channel.guild
        author_id = int(msg["author"]["id"])
        data = {**copy.deepcopy(msg), "guild_id": str(guild.id)}
        member = guild.members.get(author_id)
        if member is not None and "webhook_id" not in msg:
            data["member"] = member.payload(with_user=False)
        me = str(self.bot_user.id)

        def transform(session: Any, d: dict[str, Any]) -> dict[str, Any]:
            if session.intents & MESSAGE_CONTENT or author_id == self.bot_user.id or any(
                    m["id"] == me for m in d.get("mentions", [])):
                return d
            return {**d, "content": "", "embeds": [], "attachments": [], "components": []}

        self._dispatch_guild(guild.id, event, data, GUILD_MESSAGES, transform)

    def _edit_message(self: FakeDiscord, msg: dict[str, Any], payload: dict[str, Any],
                      files: list[dict[str, Any]] = (),  # type: ignore[assignment]
                      *, mark_edited: bool = True) -> dict[str, Any]:
        if "content" in payload:
            msg["content"] = payload["content"] or ""
        if "embeds" in payload:
            msg["embeds"] = [{"type": "rich", **e} for e in payload["embeds"] or []]
        if "components" in payload:
            msg["components"] = self._normalise_components(payload["components"])
        if "attachments" in payload or files:
            msg["attachments"] = self._attachments(payload, list(files), msg["attachments"])
        if payload.get("flags") is not None:
            new = payload["flags"]
            msg["flags"] = (msg["flags"] & ~SUPPRESS_EMBEDS) | (new & SUPPRESS_EMBEDS) | (
                new & (1 << 15))
        if mark_edited:
            msg["edited_timestamp"] = now_iso()
        if not msg["flags"] & 64:
            channel = self.channel(int(msg["channel_id"]))
            if channel is not None:
                self._dispatch_message("MESSAGE_UPDATE", channel, msg)
        self._pulse()
        return msg

    def _delete_message(self: FakeDiscord, msg: dict[str, Any]) -> None:
        mid = int(msg["id"])
        self.message_index.pop(mid, None)
        self.ephemeral_messages.pop(mid, None)
        channel = self.channel(int(msg["channel_id"]))
        self.deleted_messages.append(msg)
        if channel is not None and msg in self.messages.get(channel.id, []):
            self.messages[channel.id].remove(msg)
            self._dispatch_guild(channel.guild.id, "MESSAGE_DELETE",
                                 {"id": msg["id"], "channel_id": msg["channel_id"],
                                  "guild_id": str(channel.guild.id)}, GUILD_MESSAGES)
        self._pulse()

    def message(self: FakeDiscord, message_id: int | str) -> dict[str, Any] | None:
        """Current state of a stored message (channel or ephemeral) by id."""
        return self.message_index.get(int(message_id))

    async def user_message(self: FakeDiscord, channel: Channel, member: Any,
                           content: str) -> dict[str, Any]:
        """A member posts a message (dispatched as MESSAGE_CREATE; content is blanked for
        bots without the MESSAGE_CONTENT intent unless the bot is mentioned)."""
        return self._new_message(channel, member.user, {"content": content})

    def _sid(self: FakeDiscord, v: Any) -> int | None:
        return sid(v)
