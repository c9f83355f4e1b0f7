"""The Interaction handle a test gets from FakeDiscord.slash/click/submit_modal, and the
recorded Response steps of the bot's answer."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .discord_validate import EPHEMERAL, LOADING

if TYPE_CHECKING:
    from .discord import FakeDiscord
    from .discord_models import Channel, Guild, Member


@dataclass
class Response:
    """One successful answer of the bot to an interaction."""

    kind: str  # callback | followup | edit_original | edit_followup | delete_original | ...
    type: int | None  # callback type for kind == "callback"
    data: Any  # the JSON body the bot sent
    message: dict[str, Any] | None  # the message after this step (snapshot)


class Interaction:
    """Handle on an interaction the fake dispatched."""

    def __init__(self, fake: FakeDiscord, itype: int, payload: dict[str, Any], guild: Guild,
                 channel: Channel, member: Member, *, command: dict[str, Any] | None = None,
                 focused_type: int | None = None,
                 source_message: dict[str, Any] | None = None) -> None:
        self.fake = fake
        self.type = itype
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.guild, self.channel, self.member = guild, channel, member
        self.command = command
        self.focused_type = focused_type
        self.source_message_id = int(source_message["id"]) if source_message else None
        self.created = time.monotonic()
        self.callback_type: int | None = None
        self.original_id: int | None = None
        self.followup_ids: list[int] = []
        self.responses: list[Response] = []
        self.rejected: list[dict[str, Any]] = []
        self.choices: list[dict[str, Any]] | None = None
        self.modal: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"<Interaction id={self.id} type={self.type} callback={self.callback_type}>"

    def metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "user": self.member.user.payload(),
            "authorizing_integration_owners": {"0": str(self.guild.id)},
        }
        if self.command is not None:
            meta["name"] = self.command["name"]
            meta["command_type"] = self.command.get("type", 1)
        if self.source_message_id is not None:
            meta["interacted_message_id"] = str(self.source_message_id)
        if self.original_id is not None:
            meta["original_response_message_id"] = str(self.original_id)
        return meta

    @property
    def acknowledged(self) -> bool:
        return self.callback_type is not None

    @property
    def callback(self) -> Response | None:
        return next((r for r in self.responses if r.kind == "callback"), None)

    def _raise_rejected(self) -> None:
        if self.rejected:
            raise AssertionError(f"fake discord rejected the bot's answer to {self!r}: "
                                 f"{self.rejected}")

    async def wait_response(self, timeout: float = 5.0) -> Response:
        """Wait for the initial callback (POST /interactions/{id}/{token}/callback)."""

        def ready() -> Response | None:
            if self.callback is None:
                self._raise_rejected()
            return self.callback

        return await self.fake._wait_until(ready, timeout, f"callback for {self!r}")

    async def wait_followups(self, n: int = 1, timeout: float = 5.0) -> list[Response]:
        """Wait until ``n`` follow-ups (POST /webhooks/{app}/{token}) have been answered."""

        def ready() -> list[Response] | None:
            got = [r for r in self.responses if r.kind == "followup"]
            return got if len(got) >= n else None

        return await self.fake._wait_until(ready, timeout, f"{n} follow-up(s) for {self!r}")

    async def wait_for(self, predicate: Callable[[Interaction], Any], timeout: float = 5.0,
                       what: str = "condition") -> Any:
        def ready() -> Any:
            result = predicate(self)
            return result if result else None

        return await self.fake._wait_until(ready, timeout, f"{what} on {self!r}")

    async def wait_final(self, predicate: Callable[[dict[str, Any]], bool] | None = None,
                         timeout: float = 5.0) -> dict[str, Any]:
        """Wait until the original response exists, is no longer "thinking", and matches
        ``predicate``; return it as :meth:`final_message` does."""

        def ready() -> dict[str, Any] | None:
            msg = self.final_message()
            if msg is None or msg["flags"] & LOADING:
                return None
            if predicate is not None and not predicate(msg):
                return None
            return msg

        return await self.fake._wait_until(ready, timeout, f"final message of {self!r}")

    def final_message(self) -> dict[str, Any] | None:
        """The original response as the user sees it now (after edits), with an extra
        ``ephemeral`` key; None if there is none (yet) or it was deleted."""
        if self.original_id is None:
            return None
        msg = self.fake.message(self.original_id)
        if msg is None:
            return None
        return {**copy.deepcopy(msg), "ephemeral": bool(msg["flags"] & EPHEMERAL)}

    def followup_messages(self) -> list[dict[str, Any]]:
        out = []
        for mid in self.followup_ids:
            msg = self.fake.message(mid)
            if msg is not None:
                out.append({**copy.deepcopy(msg), "ephemeral": bool(msg["flags"] & EPHEMERAL)})
        return out

    @property
    def ephemeral(self) -> bool:
        msg = self.final_message()
        return bool(msg and msg["ephemeral"])
