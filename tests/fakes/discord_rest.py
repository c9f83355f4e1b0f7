"""REST plumbing of the fake Discord (/api/v10): route table, recording, bot-token auth,
injected 429/5xx, rate-limit headers, Discord-style error answers; identity, gateway and
guild routes. Commands, messages and interaction routes live in their own modules."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .discord_validate import (
    FormErrors,
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
