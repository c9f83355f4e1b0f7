"""Waiting on the fake Discord without sleeps: every state change pulses the waiters,
which re-check their condition until a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .discord_models import Channel, Guild, VoiceState
from .discord_rest import RecordedRequest

if TYPE_CHECKING:
    pass


class WaitersMixin:
    """Mixed into FakeDiscord."""

    def _pulse(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def _wait_until(self, ready: Callable[[], Any], timeout: float, what: str) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = ready()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                hint = f"; fake.errors={self.errors[-3:]}" if self.errors else ""
                raise TimeoutError(f"fake discord: timed out after {timeout}s waiting for "
                                   f"{what}{hint}")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, remaining)

    async def wait_for_identify(self, count: int = 1, timeout: float = 5.0) -> dict[str, Any]:
        """Wait until ``count`` IDENTIFYs were accepted; return the count-th."""
        return await self._wait_until(
            lambda: self.identifies[count - 1] if len(self.identifies) >= count else None,
            timeout, f"IDENTIFY #{count}")

    async def wait_for_resume(self, count: int = 1, timeout: float = 5.0) -> dict[str, Any]:
        return await self._wait_until(
            lambda: self.resumes[count - 1] if len(self.resumes) >= count else None,
            timeout, f"RESUME #{count}")

    async def wait_for_request(self, method: str, path_regex: str, timeout: float = 5.0, *,
                               start: int = 0) -> RecordedRequest:
        """Wait for a REST request (answered) whose path relative to /api/v10 matches;
        only requests with index >= ``start`` in ``fake.requests`` count."""

        rx = re.compile(path_regex)

        def ready() -> RecordedRequest | None:
            for rec in self.requests[start:]:
                if rec.method == method and rx.search(rec.path) and rec.status is not None:
                    return rec
            return None

        return await self._wait_until(ready, timeout, f"{method} {path_regex}")

    async def wait_for_message(self, channel_id: int | Channel,
                               predicate: Callable[[dict[str, Any]], bool] | None = None,
                               timeout: float = 5.0) -> dict[str, Any]:
        """Wait for a (non-ephemeral) message in the channel matching ``predicate``."""
        cid = channel_id.id if isinstance(channel_id, Channel) else int(channel_id)

        def ready() -> dict[str, Any] | None:
            for msg in self.messages.get(cid, []):
                if predicate is None or predicate(msg):
                    return msg
            return None

        return await self._wait_until(ready, timeout, f"message in channel {cid}")

    async def wait_for_voice(self, guild_id: int | Guild, channel_id: int | Channel | None,
                             timeout: float = 5.0) -> VoiceState | bool:
        """Wait until the bot's voice state in the guild is in ``channel_id`` (None: not in
        voice). Returns the VoiceState (or True when waiting for None)."""
        gid = guild_id.id if isinstance(guild_id, Guild) else int(guild_id)
        cid = channel_id.id if isinstance(channel_id, Channel) else channel_id

        def ready() -> VoiceState | bool | None:
            state = self.bot_voice_state(gid)
            if cid is None:
                return True if state is None or state.channel_id is None else None
            return state if state is not None and state.channel_id == int(cid) else None

        return await self._wait_until(ready, timeout, f"bot voice in {cid} (guild {gid})")

    async def wait_for_dispatch(self, event: str, predicate: Callable[[dict[str, Any]], bool]
                                | None = None, timeout: float = 5.0, *,
                                start: int = 0) -> dict[str, Any]:
        """Wait until the fake dispatched ``event`` (index >= start in fake.dispatched)."""

        def ready() -> dict[str, Any] | None:
            for _, ev, data in self.dispatched[start:]:
                if ev == event and (predicate is None or predicate(data)):
                    return data
            return None

        return await self._wait_until(ready, timeout, f"dispatch {event}")

    async def wait_for_connections(self, count: int, timeout: float = 5.0) -> None:
        """Wait until ``count`` gateway connections were opened in total."""
        await self._wait_until(lambda: True if len(self.connections) >= count else None,
                               timeout, f"{count} gateway connections")
