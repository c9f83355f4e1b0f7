"""The JSON control API of the fake Discord under /_control/ (for standalone use; see
tests/fakes/README.md)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .discord_handle import Interaction
from .discord_rest import RecordedRequest, json_response

if TYPE_CHECKING:
    pass


class ControlMixin:
    """Mixed into FakeDiscord."""

    async def _unrouted(self, request: web.Request) -> web.Response:
        rec = RecordedRequest(request.method, request.path, dict(request.query), None,
                              dict(request.headers), False, status=404)
        self.unhandled.append(rec)
        return json_response(404, {"message": "404: Not Found", "code": 0})

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError as exc:
            raise web.HTTPBadRequest(text=f"bad JSON: {exc}") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="expected a JSON object")
        return body

    async def _control_result(self, inter: Interaction, body: dict[str, Any]) -> web.Response:
        if body.get("wait", True):
            with contextlib.suppress(TimeoutError, AssertionError):
                await inter.wait_response(float(body.get("timeout", 5.0)))
        return json_response(200, self._interaction_json(inter))

    def _interaction_json(self, inter: Interaction) -> dict[str, Any]:
        return {
            "interaction_id": str(inter.id), "token": inter.token, "type": inter.type,
            "callback_type": inter.callback_type,
            "responses": [{"kind": r.kind, "type": r.type, "data": r.data, "message": r.message}
                          for r in inter.responses],
            "rejected": inter.rejected, "final_message": inter.final_message(),
            "choices": inter.choices,
        }

    async def _c_slash(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        try:
            inter = await self.slash(
                body["name"], user=int(body["user_id"]),
                guild=int(body["guild_id"]) if body.get("guild_id") else None,
                channel=int(body["channel_id"]) if body.get("channel_id") else None,
                options=body.get("options") or {}, subcommand=body.get("subcommand"))
        except (KeyError, LookupError, ValueError, PermissionError, RuntimeError) as exc:
            return json_response(400, {"error": str(exc)})
        return await self._control_result(inter, body)

    async def _c_click(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        try:
            inter = await self.click(int(body["message_id"]), body["custom_id"],
                                     user=int(body["user_id"]), values=body.get("values"))
        except (KeyError, LookupError, ValueError, PermissionError, RuntimeError) as exc:
            return json_response(400, {"error": str(exc)})
        return await self._control_result(inter, body)

    async def _c_voice(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        try:
            guild = self.guilds[int(body["guild_id"])]
            member = guild.members[int(body["user_id"])]
            if body.get("channel_id") is None:
                await self.leave_voice(guild, member)
            else:
                await self.join_voice(guild, member, guild.channels[int(body["channel_id"])])
        except (KeyError, ValueError) as exc:
            return json_response(400, {"error": f"{type(exc).__name__}: {exc}"})
        return json_response(200, {"ok": True})

    async def _c_requests(self, request: web.Request) -> web.Response:
        return json_response(200, [
            {"method": r.method, "path": r.path, "query": r.query, "json": r.json,
             "status": r.status} for r in self.requests])

    async def _c_errors(self, request: web.Request) -> web.Response:
        return json_response(200, self.errors)

    async def _c_messages(self, request: web.Request) -> web.Response:
        return json_response(200, self.messages.get(int(request.match_info["channel_id"]), []))

    async def _c_interaction(self, request: web.Request) -> web.Response:
        inter = self.interactions.get(int(request.match_info["interaction_id"]))
        if inter is None:
            return json_response(404, {"error": "unknown interaction"})
        return json_response(200, self._interaction_json(inter))

    async def _c_world(self, request: web.Request) -> web.Response:
        return json_response(200, self.world())

    def world(self) -> dict[str, Any]:
        return {
            "bot": {"id": str(self.bot_user.id), "name": self.bot_user.username},
            "application_id": str(self.application_id),
            "guilds": [{
                "id": str(g.id), "name": g.name,
                "channels": [{"id": str(c.id), "name": c.name, "type": c.type}
                             for c in g.channels.values()],
                "members": [{"id": str(m.id), "name": m.name} for m in g.members.values()],
            } for g in self.guilds.values()],
            "commands": {str(k): [c["name"] for c in v.values()]
                         for k, v in self.synced_commands.items()},
        }
