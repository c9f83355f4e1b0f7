"""The bot's answers to interactions: POST /interactions/{id}/{token}/callback and the
interaction webhook routes (follow-ups, @original), validated and applied like Discord."""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

from .discord_handle import Interaction, Response
from .discord_rest import ApiError, RecordedRequest, unknown
from .discord_validate import (
    CALLBACK_TYPES_FOR,
    EPHEMERAL,
    LOADING,
    FormErrors,
    is_empty_message,
    validate_choices,
    validate_message,
    validate_modal,
)

if TYPE_CHECKING:
    from .discord import FakeDiscord

MESSAGE_FLAGS_ALLOWED = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)


class CallbacksMixin:
    """Mixed into FakeDiscord."""

    async def _r_callback(self: FakeDiscord, rec: RecordedRequest, iid: str,
                          token: str) -> tuple[int, Any]:
        inter = self.interactions.get(int(iid))
        if inter is None or inter.token != token:
            raise unknown("interaction", 10062)
        try:
            return self._callback(rec, inter)
        except ApiError as exc:
            inter.rejected.append({"kind": "callback", **exc.body(), "json": rec.json})
            raise

    def _callback(self: FakeDiscord, rec: RecordedRequest,
                  inter: Interaction) -> tuple[int, Any]:
        if inter.callback_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if (self.interaction_deadline is not None
                and time.monotonic() - inter.created > self.interaction_deadline):
            raise ApiError(404, 10062, "Unknown interaction")
        body = rec.json
        errs = FormErrors()
        if not isinstance(body, dict) or not isinstance(body.get("type"), int):
            errs.add(("type",), "BASE_TYPE_REQUIRED", "This field is required")
            raise ApiError.form(errs)
        ctype = body["type"]
        if ctype not in (1, 4, 5, 6, 7, 8, 9, 10, 12):
            errs.add(("type",), "BASE_TYPE_CHOICES",
                     "Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}.")
        elif ctype not in CALLBACK_TYPES_FOR[inter.type]:
            errs.add(("type",), "INTERACTION_RESPONSE_TYPE_INVALID",
                     f"Interaction response type {ctype} is not valid for interaction type "
                     f"{inter.type}")
        data = body.get("data")
        if ctype in (4, 7):
            if data is None and ctype == 4:
                errs.add(("data",), "BASE_TYPE_REQUIRED", "This field is required")
            elif data is not None:
                validate_message(errs, ("data",), data)
        elif ctype == 8:
            validate_choices(errs, ("data",), data, inter.focused_type)
        elif ctype == 9:
            validate_modal(errs, ("data",), data)
        if errs:
            raise ApiError.form(errs)
        data = data or {}
        if ctype == 4 and is_empty_message(data, len(rec.files)):
            raise ApiError(400, 50006, "Cannot send an empty message")
        if ctype in (6, 7) and inter.source_message_id is None:
            raise ApiError(400, 40060, "Interaction has no message to update")
        inter.callback_type = ctype
        message: dict[str, Any] | None = None
        msg_type = 20 if inter.type == 2 else 0
        if ctype == 4:
            flags = (data.get("flags") or 0) & MESSAGE_FLAGS_ALLOWED
            message = self._new_message(inter.channel, self.bot_user, data, flags=flags,
                                        type_=msg_type, files=rec.files, interaction=inter)
            inter.original_id = int(message["id"])
        elif ctype == 5:
            flags = ((data.get("flags") or 0) & EPHEMERAL) | LOADING
            message = self._new_message(inter.channel, self.bot_user, {}, flags=flags,
                                        type_=msg_type, interaction=inter)
            inter.original_id = int(message["id"])
        elif ctype in (6, 7):
            inter.original_id = inter.source_message_id
            source = self.message(inter.source_message_id or 0)
            if source is None:
                raise unknown("Message", 10008)
            if ctype == 7:
                self._edit_message(source, data, rec.files)
            message = source
        elif ctype == 8:
            inter.choices = list(data.get("choices") or [])
        elif ctype == 9:
            inter.modal = copy.deepcopy(data)
        inter.responses.append(Response("callback", ctype, body, copy.deepcopy(message)))
        self._pulse()
        if rec.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        out: dict[str, Any] = {
            "interaction": {"id": str(inter.id), "type": inter.type,
                            "response_message_loading": ctype == 5},
            "resource": {"type": ctype},
        }
        if message is not None:
            out["interaction"]["response_message_id"] = message["id"]
            out["interaction"]["response_message_ephemeral"] = bool(message["flags"] & EPHEMERAL)
            out["resource"]["message"] = message
        return 200, out

    def _webhook_interaction(self: FakeDiscord, app: str, token: str) -> Interaction:
        inter = self.interactions_by_token.get(token)
        if int(app) != self.application_id or inter is None or inter.callback_type is None:
            raise unknown("Webhook", 10015)
        return inter

    def _webhook_message(self: FakeDiscord, inter: Interaction, mid: str) -> dict[str, Any]:
        if mid == "@original":
            target = inter.original_id
        else:
            target = int(mid)
            if target != inter.original_id and target not in inter.followup_ids:
                raise unknown("Message", 10008)
        msg = self.message(target) if target is not None else None
        if msg is None:
            raise unknown("Message", 10008)
        return msg

    async def _r_followup(self: FakeDiscord, rec: RecordedRequest, app: str,
                          token: str) -> tuple[int, Any]:
        inter = self.interactions_by_token.get(token)
        try:
            inter = self._webhook_interaction(app, token)
            payload = rec.json if isinstance(rec.json, dict) else {}
            errs = FormErrors()
            validate_message(errs, (), rec.json)
            if errs:
                raise ApiError.form(errs)
            if is_empty_message(payload, len(rec.files)):
                raise ApiError(400, 50006, "Cannot send an empty message")
        except ApiError as exc:
            if inter is not None:
                inter.rejected.append({"kind": "followup", **exc.body(), "json": rec.json})
            raise
        original = self.message(inter.original_id) if inter.original_id else None
        if original is not None and original["flags"] & LOADING and inter.callback_type == 5:
            # the first follow-up after a deferred (thinking) response fills that message,
            # keeping the ephemeral choice made when deferring
            original["flags"] &= ~LOADING
            msg = self._edit_message(original, payload, rec.files, mark_edited=False)
        else:
            flags = (payload.get("flags") or 0) & MESSAGE_FLAGS_ALLOWED
            msg = self._new_message(inter.channel, self.bot_user, payload, flags=flags,
                                    files=rec.files, interaction=inter)
            inter.followup_ids.append(int(msg["id"]))
        inter.responses.append(Response("followup", None, rec.json, copy.deepcopy(msg)))
        self._pulse()
        if rec.query.get("wait") in ("1", "true", "True"):
            return 200, msg
        return 204, None

    async def _r_webhook_get(self: FakeDiscord, rec: RecordedRequest, app: str, token: str,
                             mid: str) -> tuple[int, Any]:
        inter = self._webhook_interaction(app, token)
        return 200, self._webhook_message(inter, mid)

    async def _r_webhook_edit(self: FakeDiscord, rec: RecordedRequest, app: str, token: str,
                              mid: str) -> tuple[int, Any]:
        inter = self.interactions_by_token.get(token)
        try:
            inter = self._webhook_interaction(app, token)
            msg = self._webhook_message(inter, mid)
            errs = FormErrors()
            validate_message(errs, (), rec.json)
            if errs:
                raise ApiError.form(errs)
        except ApiError as exc:
            if inter is not None:
                inter.rejected.append({"kind": "edit", **exc.body(), "json": rec.json})
            raise
        was_loading = bool(msg["flags"] & LOADING)
        msg["flags"] &= ~LOADING
        payload = rec.json if isinstance(rec.json, dict) else {}
        self._edit_message(msg, payload, rec.files, mark_edited=not was_loading)
        kind = "edit_original" if int(msg["id"]) == inter.original_id else "edit_followup"
        inter.responses.append(Response(kind, None, rec.json, copy.deepcopy(msg)))
        self._pulse()
        return 200, msg

    async def _r_webhook_delete(self: FakeDiscord, rec: RecordedRequest, app: str, token: str,
                                mid: str) -> tuple[int, Any]:
        inter = self._webhook_interaction(app, token)
        msg = self._webhook_message(inter, mid)
        kind = "delete_original" if int(msg["id"]) == inter.original_id else "delete_followup"
        self._delete_message(msg)
        inter.responses.append(Response(kind, None, None, None))
        self._pulse()
        return 204, None
