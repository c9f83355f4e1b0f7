"""Recording and waiting for the fake Lavalink (a mixin for ``FakeLavalink``).

Every HTTP request lands in ``requests`` and every websocket op in
``sent_events``; the ``wait_for_*`` helpers resolve through futures that are
re-checked whenever something is recorded or a player changes - no polling, no
fixed sleeps.  A wait that times out raises ``AssertionError`` with a message.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any, TypeVar

from .lavalink_state import FakePlayer, RecordedRequest, SentMessage

__all__ = ["WaitersMixin"]

T = TypeVar("T")


class WaitersMixin:
    """``wait_for_request`` / ``wait_for_event`` / ``wait_for_player``."""

    requests: list[RecordedRequest]
    sent_events: list[SentMessage]
    _waiters: list[tuple[Callable[[], Any], asyncio.Future[Any]]]
    _seq: int

    def _find_player(  # provided by PlaybackMixin
        self, guild_id: int | str, session_id: str | None, pred: Callable[[FakePlayer], bool]
    ) -> FakePlayer | None:
        raise NotImplementedError

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _notify(self) -> None:
        for check, fut in list(self._waiters):
            if not fut.done():
                result = check()
                if result is not None:
                    fut.set_result(result)

    async def _wait(self, check: Callable[[], T | None], timeout: float, what: str) -> T:
        result = check()
        if result is not None:
            return result
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        entry = (check, fut)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise AssertionError(
                f"FakeLavalink: timed out after {timeout}s waiting for {what}"
            ) from None
        finally:
            self._waiters.remove(entry)

    async def wait_for_request(
        self,
        method: str | None = None,
        path: str | Callable[[RecordedRequest], bool] | None = None,
        *,
        timeout: float = 5.0,
        since: int = 0,
        count: int = 1,
    ) -> RecordedRequest:
        """Wait for the ``count``-th request (from index ``since``) matching.

        ``path`` is a regex (re.search on the path) or a predicate on the record.
        """
        pattern = re.compile(path) if isinstance(path, str) else None

        def matches(r: RecordedRequest) -> bool:
            if method is not None and r.method != method.upper():
                return False
            if pattern is not None:
                return bool(pattern.search(r.path))
            return path is None or (callable(path) and path(r))

        def check() -> RecordedRequest | None:
            hits = [r for r in self.requests[since:] if matches(r)]
            return hits[count - 1] if len(hits) >= count else None

        return await self._wait(check, timeout, f"request {method} {path}")

    async def wait_for_event(
        self,
        type: str,
        guild_id: int | str | None = None,
        *,
        timeout: float = 5.0,
        since: int = 0,
        count: int = 1,
        predicate: Callable[[SentMessage], bool] | None = None,
    ) -> SentMessage:
        """Wait for a sent message whose event ``type`` (or ``op``) is ``type``."""
        gid = None if guild_id is None else str(guild_id)

        def check() -> SentMessage | None:
            hits = [
                m
                for m in self.sent_events[since:]
                if m.kind == type
                and (gid is None or m.get("guildId") == gid)
                and (predicate is None or predicate(m))
            ]
            return hits[count - 1] if len(hits) >= count else None

        return await self._wait(check, timeout, f"{type} (guild {guild_id})")

    async def wait_for_player(
        self,
        guild_id: int | str,
        connected: bool | None = True,
        playing: bool | None = None,
        *,
        timeout: float = 5.0,
        session_id: str | None = None,
    ) -> dict[str, Any]:
        """Wait until a player for the guild matches; returns its Player object."""

        def pred(p: Any) -> bool:
            return (connected is None or p.connected == connected) and (
                playing is None or p.playing == playing
            )

        def check() -> dict[str, Any] | None:
            found = self._find_player(guild_id, session_id, pred)
            return found.to_json() if found else None

        return await self._wait(check, timeout, f"player {guild_id} connected={connected}")

    async def wait_for_session(self, *, timeout: float = 5.0, since: int = 0) -> str:
        """Wait for a ``ready`` op (from index ``since``) and return its session id."""
        msg = await self.wait_for_event("ready", timeout=timeout, since=since)
        return str(msg["sessionId"])
