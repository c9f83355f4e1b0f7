"""Keeping searches from flooding Lavalink: per-user and per-guild limits, and autocomplete.

Discord sends an autocomplete interaction for nearly every keystroke. The
`AutocompleteGate` lets one of them reach Lavalink only when the text is long
enough, the user has stopped typing for a moment (a newer keystroke of the same
user supersedes the older one during the pause) and the user is within a small
budget per window. The others are answered from the search cache, else with
the choices the user was last shown while the new text extends that query, so
the user still sees results and Lavalink sees a few requests.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import TTLCache

from bot.errors import RateLimited
from bot.music.query import normalise_search
from bot.rate_limit import SlidingWindowLimiter

__all__ = ["AutocompleteGate", "Lookup", "SearchRateLimit", "SearchRateLimited"]


class SearchRateLimited(RateLimited):
    """Too many searches by one user, or in one guild."""

    def __init__(self, retry_after: float, *, guild_wide: bool = False) -> None:
        super().__init__(
            retry_after, "errors.slow_down_server" if guild_wide else "errors.slow_down"
        )


class SearchRateLimit:
    """At most N searches per user and M per guild in each minute (sliding windows)."""

    def __init__(
        self,
        *,
        per_user: Callable[[], int],
        per_guild: Callable[[], int],
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_user = per_user
        self._per_guild = per_guild
        self._users = SlidingWindowLimiter(window=window, clock=clock)
        self._guilds = SlidingWindowLimiter(window=window, clock=clock)

    def check(self, user_id: int, guild_id: int | None) -> None:
        """Count one search; raises SearchRateLimited when over a limit."""
        retry_after = self._users.hit(user_id, self._per_user())
        if retry_after > 0:
            raise SearchRateLimited(retry_after)
        if guild_id is not None:
            retry_after = self._guilds.hit(guild_id, self._per_guild())
            if retry_after > 0:
                raise SearchRateLimited(retry_after, guild_wide=True)


class Lookup(enum.Enum):
    """How to answer one autocomplete keystroke."""

    NOTHING = "nothing"
    """Too short to search for."""
    CACHE_ONLY = "cache_only"
    """Superseded by a newer keystroke, or over the user's budget: answer from the cache."""
    SEARCH = "search"
    """Ask Lavalink (through the cache)."""


class AutocompleteGate:
    """Debounces autocomplete per user and limits how many reach Lavalink."""

    def __init__(
        self,
        *,
        min_chars: Callable[[], int],
        debounce: Callable[[], float],
        per_user: Callable[[], int],
        window: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_users: int = 100_000,
    ) -> None:
        self._min_chars = min_chars
        self._debounce = debounce
        self._per_user = per_user
        self._sleep = sleep
        self._budget = SlidingWindowLimiter(window=window, clock=clock, max_keys=max_users)
        # The newest keystroke of each user; idle users fall out after a minute.
        self._latest: TTLCache[int, object] = TTLCache(maxsize=max_users, ttl=60.0, timer=clock)
        self._shown: TTLCache[int, tuple[str, Any]] = TTLCache(
            maxsize=max_users, ttl=60.0, timer=clock
        )

    async def admit(self, user_id: int, text: str) -> Lookup:
        """Wait out the debounce pause, then decide how to answer this keystroke."""
        if len(text.strip()) < self._min_chars():
            return Lookup.NOTHING
        ticket = object()
        self._latest[user_id] = ticket
        delay = self._debounce()
        if delay > 0:
            await self._sleep(delay)
        if self._latest.get(user_id) is not ticket:
            return Lookup.CACHE_ONLY
        if self._budget.hit(user_id, self._per_user()) > 0:
            return Lookup.CACHE_ONLY
        return Lookup.SEARCH

    def remember(self, user_id: int, text: str, choices: Any) -> None:
        """The user was shown `choices` for `text`."""
        if choices:
            self._shown[user_id] = (normalise_search(text), choices)

    def recall(self, user_id: int, text: str) -> Any | None:
        """What the user was last shown, if `text` extends the query it was shown for."""
        shown = self._shown.get(user_id)
        if shown is not None and normalise_search(text).startswith(shown[0]):
            return shown[1]
        return None
