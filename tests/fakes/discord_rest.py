"""REST side of the fake Discord (/api/v10): recording, auth, injected 429/5xx, rate-limit
headers, and the bot-token routes (users, applications, commands, gateway, channels,
messages, guilds). Interaction callback/webhook routes live in discord_interactions.py."""

from __future__ import annotations

import copy
import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .discord_gateway import GUILD_MESSAGES, MESSAGE_CONTENT
from .discord_models import Channel, P, now_iso, sid
from .discord_validate import (
    FormErrors,
    is_empty_message,
    validate_command_list,
    validate_message,
)

if TYPE_CHECKING:
    from .discord import FakeDiscord
    from .discord_models import Guild

API_PREFIX = "/api/v10"
SUPPRESS_EMBEDS = 1 << 2


class ApiError(Exception):
    """An error answer, Discord style: {"message", "code"[, "errors"]}."""

    def __init__(self, status: int, code: int, message: str,
                 errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors

    @classmethod
    def form(cls, errs: FormErrors) -> ApiError:
        return cls(400, 50035, "Invalid Form Body", errs.nested())

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def unknown(what: str, code: int) -> ApiError:
    return ApiError(404, code, f"Unknown {what}")


@dataclass
class RecordedRequest:
    method: str
    path: str  # relative to /api/v10, e.g. "/channels/1/messages"
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    authorized: bool
    status: int | None = None
    response: Any = None
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FaultRule:
    pattern: re.Pattern[str]
    method: str | None
    status: int
    count: int
    retry_after: float = 0.05
    global_: bool = False
    hits: int = 0


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    if status == 204:
        hdrs.pop("Content-Type")
        return web.Response(status=204, headers=hdrs)
    return web.Response(status=status, body=json.dumps(body).encode(), headers=hdrs)


def _ratelimit_headers(bucket: str, remaining: int = 49) -> dict[str, str]:
    reset_after = 1.0
    return {
        "X-RateLimit-Bucket": bucket,
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
    }


# (method, regex, handler attribute, needs bot auth)
ROUTES: list[tuple[str, str, str, bool]] = [
    ("GET", r"/users/@me", "_r_me", True),
    ("GET", r"/oauth2/applications/@me", "_r_application", True),
    ("GET", r"/applications/@me", "_r_application", True),
    ("GET", r"/gateway", "_r_gateway", False),
    ("GET", r"/gateway/bot", "_r_gateway_bot", True),
    ("GET", r"/applications/(?P<app>\d+)/commands", "_r_get_commands", True),
    ("PUT", r"/applications/(?P<app>\d+)/commands", "_r_put_commands", True),
    ("POST", r"/applications/(?P<app>\d+)/commands", "_r_post_command", True),
    ("GET", r"/applications/(?P<app>\d+)/guilds/(?P<gid>\d+)/commands", "_r_get_commands", True),
    ("PUT", r"/applications/(?P<app>\d+)/guilds/(?P<gid>\d+)/commands", "_r_put_commands", True),
    ("POST", r"/applications/(?P<app>\d+)/guilds/(?P<gid>\d+)/commands", "_r_post_command",
     True),
    ("DELETE", r"/applications/(?P<app>\d+)/commands/(?P<cid>\d+)", "_r_delete_command", True),
    ("DELETE", r"/applications/(?P<app>\d+)/guilds/(?P<gid>\d+)/commands/(?P<cid>\d+)",
     "_r_delete_command", True),
    ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", "_r_callback", False),
    ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", "_r_followup", False),
    ("GET", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
     "_r_webhook_get", False),
    ("PATCH", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
     "_r_webhook_edit", False),
    ("DELETE", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
     "_r_webhook_delete", False),
    ("GET", r"/channels/(?P<cid>\d+)", "_r_get_channel", True),
    ("GET", r"/channels/(?P<cid>\d+)/messages", "_r_list_messages", True),
    ("POST", r"/channels/(?P<cid>\d+)/messages", "_r_create_message", True),
    ("GET", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", "_r_get_message", True),
    ("PATCH", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", "_r_edit_message", True),
    ("DELETE", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", "_r_delete_message", True),
    ("POST", r"/channels/(?P<cid>\d+)/typing", "_r_typing", True),
    ("GET", r"/guilds/(?P<gid>\d+)", "_r_get_guild", True),
    ("GET", r"/guilds/(?P<gid>\d+)/channels", "_r_guild_channels", True),
    ("GET", r"/guilds/(?P<gid>\d+)/roles", "_r_guild_roles", True),
    ("GET", r"/guilds/(?P<gid>\d+)/members/(?P<uid>\d+)", "_r_guild_member", True),
]
_COMPILED = [(m, re.compile(f"^{rx}$"), h, auth) for m, rx, h, auth in ROUTES]


def _strip_ids(cmd: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cmd.items() if k not in ("id", "version")}


def _bucket_for(method: str, path: str) -> str:
    template = re.sub(r"/\d{5,}", "/:id", path)
    template = re.sub(r"(/(?:interactions|webhooks)/:id/)[^/]+", r"\1:token", template)
    return f"{abs(hash((method, template))) & 0xFFFFFFFF:08x}"


class RestMixin:
    """Mixed into FakeDiscord."""

    # -- plumbing ----------------------------------------------------------------------------
    async def _rest_entry(self: FakeDiscord, request: web.Request) -> web.Response:
        path = request.path[len(API_PREFIX):] or "/"
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        auth = request.headers.get("Authorization")
        body, files, bad_json = await self._read_body(request)
        rec = RecordedRequest(request.method, path, dict(request.query), body, headers,
                              authorized=auth == f"Bot {self.token}", files=files)
        self.requests.append(rec)
        bucket = _bucket_for(request.method, path)
        try:
            fault = self._match_fault(request.method, path)
            if fault is not None:
                return self._fault_response(rec, fault, bucket)
            for method, rx, handler, needs_auth in _COMPILED:
                m = rx.match(path)
                if m is None or method != request.method:
                    continue
                if needs_auth and not rec.authorized:
                    raise ApiError(401, 0, "401: Unauthorized")
                if bad_json:
                    raise ApiError(400, 50109, "The request body contains invalid JSON.")
                status, out = await getattr(self, handler)(rec, **m.groupdict())
                break
            else:
                self.unhandled.append(rec)
                raise ApiError(404, 0, "404: Not Found")
        except ApiError as exc:
            status, out = exc.status, exc.body()
            self.errors.append({"kind": "rest", "method": rec.method, "path": rec.path,
                                "status": status, "code": exc.code, "message": exc.message,
                                "errors": exc.errors, "json": rec.json})
        rec.status, rec.response = status, out
        self._pulse()
        return json_response(status, out, _ratelimit_headers(bucket))

    async def _read_body(self: FakeDiscord,
                         request: web.Request) -> tuple[Any, list[dict[str, Any]], bool]:
        if not request.can_read_body:
            return None, [], False
        ctype = request.content_type
        if ctype == "multipart/form-data":
            payload, files = None, []
            reader = await request.multipart()
            async for part in reader:
                data = await part.read()  # type: ignore[union-attr]
                if part.name == "payload_json":  # type: ignore[union-attr]
                    payload = json.loads(data)
                else:
                    files.append({"field": part.name, "filename": part.filename,  # type: ignore
                                  "size": len(data),
                                  "content_type": part.headers.get("Content-Type")})  # type: ignore
            return payload, files, False
        raw = await request.read()
        if not raw:
            return None, [], False
        try:
            return json.loads(raw), [], ctype != "application/json"
        except ValueError:
            return raw.decode(errors="replace"), [], True

    def _match_fault(self: FakeDiscord, method: str, path: str) -> FaultRule | None:
        for rule in self.faults:
            if rule.hits >= rule.count:
                continue
            if rule.method and rule.method != method:
                continue
            if rule.pattern.search(path):
                rule.hits += 1
                return rule
        return None

    def _fault_response(self: FakeDiscord, rec: RecordedRequest, rule: FaultRule,
                        bucket: str) -> web.Response:
        if rule.status == 429:
            body = {"message": "You are being rate limited.", "retry_after": rule.retry_after,
                    "global": rule.global_}
            if rule.global_:
                body["code"] = 0
            headers = {
                **_ratelimit_headers(bucket, remaining=0),
                "Via": "1.1 google",
                "Retry-After": str(max(1, int(rule.retry_after + 0.999))),
                "X-RateLimit-Scope": "global" if rule.global_ else "user",
            }
            headers["X-RateLimit-Reset-After"] = f"{rule.retry_after:.3f}"
            if rule.global_:
                headers["X-RateLimit-Global"] = "true"
        else:
            body = {"message": f"{rule.status}: Internal Server Error", "code": 0}
            headers = {}
        rec.status, rec.response = rule.status, body
        self._pulse()
        return json_response(rule.status, body, headers)

    def rate_limit(self: FakeDiscord, path_pattern: str, retry_after: float = 0.05,
                   count: int = 1, global_: bool = False, method: str | None = None) -> FaultRule:
        """Answer the next ``count`` requests whose path (relative to /api/v10) matches the
        regex with 429 (Via header, JSON {message, retry_after, global})."""
        rule = FaultRule(re.compile(path_pattern), method, 429, count, retry_after, global_)
        self.faults.append(rule)
        return rule

    def server_error(self: FakeDiscord, path_pattern: str, status: int = 500, count: int = 1,
                     method: str | None = None) -> FaultRule:
        """Answer the next ``count`` matching requests with a 5xx. Note discord.py retries
        500/502/504 after sleeping 1 s, 3 s, ...; 503 is raised at once."""
        rule = FaultRule(re.compile(path_pattern), method, status, count)
        self.faults.append(rule)
        return rule

    # -- identity / gateway ------------------------------------------------------------------
    async def _r_me(self: FakeDiscord, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, {**self.bot_user.payload(), "verified": True, "mfa_enabled": False,
                     "email": None, "locale": "en-US", "premium_type": 0}

    async def _r_application(self: FakeDiscord, rec: RecordedRequest) -> tuple[int, Any]:
        owner = {"id": str(self.owner_user.id), "username": self.owner_user.username,
                 "discriminator": "0", "global_name": None, "avatar": None, "public_flags": 0,
                 "flags": 0}
        return 200, {
            "id": str(self.application_id), "name": self.bot_user.username, "icon": None,
            "description": "", "summary": "", "type": None, "bot_public": True,
            "bot_require_code_grant": False, "verify_key": "0" * 64, "owner": owner,
            "team": None, "flags": self.application_flags, "hook": True,
            "bot": self.bot_user.payload(), "redirect_uris": [], "interactions_endpoint_url": None,
            "tags": [], "approximate_guild_count": len(self.guilds),
            "integration_types_config": {"0": {}}, "install_params": None,
        }

    async def _r_gateway(self: FakeDiscord, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _r_gateway_bot(self: FakeDiscord, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url, "shards": self.shards,
                     "session_start_limit": {"total": 1000, "remaining": 999,
                                             "reset_after": 14400000, "max_concurrency": 1}}

    # -- application commands ----------------------------------------------------------------
    def _check_app(self: FakeDiscord, app: str) -> None:
        if int(app) != self.application_id:
            raise ApiError(403, 50001, "Missing Access")

    def _command_scope(self: FakeDiscord, gid: str | None) -> int | None:
        if gid is None:
            return None
        if int(gid) not in self.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return int(gid)

    def _store_command(self: FakeDiscord, scope: int | None, cmd: dict[str, Any],
                       old: dict[str, Any] | None) -> dict[str, Any]:
        ctype = cmd.get("type", 1)
        out = copy.deepcopy(cmd)
        out.setdefault("type", ctype)
        out.setdefault("options", []) if ctype == 1 else None
        out.setdefault("description", "")
        out.setdefault("default_member_permissions", None)
        out.setdefault("nsfw", False)
        out.setdefault("dm_permission", True)
        out.setdefault("contexts", None)
        out.setdefault("integration_types", [0])
        out["application_id"] = str(self.application_id)
        if scope is not None:
            out["guild_id"] = str(scope)
        if old is not None:
            out["id"] = old["id"]
            same = _strip_ids(old) == _strip_ids(out)
            out["version"] = old["version"] if same else str(self.snowflakes.next())
        else:
            out["id"] = str(self.snowflakes.next())
            out["version"] = str(self.snowflakes.next())
        return out

    async def _r_get_commands(self: FakeDiscord, rec: RecordedRequest, app: str,
                              gid: str | None = None) -> tuple[int, Any]:
        self._check_app(app)
        scope = self._command_scope(gid)
        return 200, list(self.synced_commands.get(scope, {}).values())

    async def _r_put_commands(self: FakeDiscord, rec: RecordedRequest, app: str,
                              gid: str | None = None) -> tuple[int, Any]:
        self._check_app(app)
        scope = self._command_scope(gid)
        errs = validate_command_list(rec.json)
        if errs:
            raise ApiError.form(errs)
        old = self.synced_commands.get(scope, {})
        new: dict[tuple[int, str], dict[str, Any]] = {}
        for cmd in rec.json:
            key = (cmd.get("type", 1), cmd["name"])
            new[key] = self._store_command(scope, cmd, old.get(key))
        self.synced_commands[scope] = new
        self.command_syncs.append((scope, rec.json))
        return 200, list(new.values())

    async def _r_post_command(self: FakeDiscord, rec: RecordedRequest, app: str,
                              gid: str | None = None) -> tuple[int, Any]:
        self._check_app(app)
        scope = self._command_scope(gid)
        errs = validate_command_list([rec.json])
        if errs:
            raise ApiError.form(errs)
        table = self.synced_commands.setdefault(scope, {})
        key = (rec.json.get("type", 1), rec.json["name"])
        existed = key in table
        table[key] = self._store_command(scope, rec.json, table.get(key))
        return (200 if existed else 201), table[key]

    async def _r_delete_command(self: FakeDiscord, rec: RecordedRequest, app: str, cid: str,
                                gid: str | None = None) -> tuple[int, Any]:
        self._check_app(app)
        table = self.synced_commands.get(self._command_scope(gid), {})
        for key, cmd in list(table.items()):
            if cmd["id"] == cid:
                del table[key]
                return 204, None
        raise unknown("application command", 10063)

    # -- channels and messages ---------------------------------------------------------------
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

    # -- guilds ------------------------------------------------------------------------------
    def _guild_or_404(self: FakeDiscord, gid: str) -> Guild:
        guild = self.guilds.get(int(gid))
        if guild is None:
            raise unknown("Guild", 10004)
        return guild

    async def _r_get_guild(self: FakeDiscord, rec: RecordedRequest, gid: str) -> tuple[int, Any]:
        guild = self._guild_or_404(gid)
        data = guild.rest_payload()
        if rec.query.get("with_counts") in ("true", "1", "True"):
            data.update(approximate_member_count=len(guild.members),
                        approximate_presence_count=0)
        return 200, data

    async def _r_guild_channels(self: FakeDiscord, rec: RecordedRequest,
                                gid: str) -> tuple[int, Any]:
        return 200, [c.payload() for c in self._guild_or_404(gid).channels.values()]

    async def _r_guild_roles(self: FakeDiscord, rec: RecordedRequest,
                             gid: str) -> tuple[int, Any]:
        return 200, [r.payload() for r in self._guild_or_404(gid).roles.values()]

    async def _r_guild_member(self: FakeDiscord, rec: RecordedRequest, gid: str,
                              uid: str) -> tuple[int, Any]:
        guild = self._guild_or_404(gid)
        member = guild.members.get(int(uid))
        if member is None:
            raise unknown("Member", 10007)
        return 200, member.payload()

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
