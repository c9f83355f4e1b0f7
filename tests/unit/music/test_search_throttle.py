"""Search rate limits per user and per guild, and the autocomplete gate."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import RateLimited
from bot.music.search_throttle import AutocompleteGate, Lookup, SearchRateLimit, SearchRateLimited


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_user_over_limit_is_told_to_slow_down() -> None:
    """The (N+1)th search of a user in a minute is refused with "slow down"."""
    clock = Clock()
    limit = SearchRateLimit(per_user=lambda: 3, per_guild=lambda: 100, clock=clock)
    for _ in range(3):
        limit.check(1, 10)
    with pytest.raises(RateLimited, match="Slow down") as refused:
        limit.check(1, 10)
    assert refused.value.retry_after == pytest.approx(60)
    limit.check(2, 10)  # another user is not affected
    clock.now += 60
    limit.check(1, 10)  # the window slid


def test_guild_over_limit_is_refused_for_everyone_in_it() -> None:
    """The guild-wide limit refuses any member once the guild used it up."""
    limit = SearchRateLimit(per_user=lambda: 100, per_guild=lambda: 2, clock=Clock())
    limit.check(1, 10)
    limit.check(2, 10)
    with pytest.raises(SearchRateLimited, match="this server is searching a lot"):
        limit.check(3, 10)
    limit.check(3, 11)  # another guild is not affected


def gate(clock: Clock, *, per_user: int = 5, debounce: float = 0.01) -> AutocompleteGate:
    return AutocompleteGate(
        min_chars=lambda: 3,
        debounce=lambda: debounce,
        per_user=lambda: per_user,
        clock=clock,
    )


async def test_short_text_is_not_searched() -> None:
    """Fewer than `min_chars` characters give no choices and no search."""
    assert await gate(Clock()).admit(1, "ab") is Lookup.NOTHING


async def test_a_pause_after_typing_searches() -> None:
    """The last keystroke before a pause is searched."""
    assert await gate(Clock()).admit(1, "abba") is Lookup.SEARCH


async def test_newer_keystroke_supersedes_older_one() -> None:
    """While the user keeps typing, only the newest keystroke is searched."""
    g = gate(Clock(), debounce=0.05)
    older = asyncio.create_task(g.admit(1, "dan"))
    await asyncio.sleep(0.01)
    newer = asyncio.create_task(g.admit(1, "danc"))
    assert await older is Lookup.CACHE_ONLY
    assert await newer is Lookup.SEARCH


async def test_other_users_do_not_supersede_each_other() -> None:
    """Debouncing is per user."""
    g = gate(Clock(), debounce=0.05)
    results = await asyncio.gather(g.admit(1, "dancing"), g.admit(2, "dancing"))
    assert results == [Lookup.SEARCH, Lookup.SEARCH]


async def test_budget_per_user_then_cache_only() -> None:
    """Past the per-user budget, keystrokes are answered from the cache until the window slides."""
    clock = Clock()
    g = gate(clock, per_user=2, debounce=0)
    assert [await g.admit(1, f"query {i}") for i in range(3)] == [
        Lookup.SEARCH,
        Lookup.SEARCH,
        Lookup.CACHE_ONLY,
    ]
    clock.now += 10
    assert await g.admit(1, "query 4") is Lookup.SEARCH


async def test_recall_shows_last_choices_while_the_query_grows() -> None:
    """Keystrokes that extend the last searched text get its choices back."""
    g = gate(Clock())
    g.remember(1, "Never Gonna", ["Never Gonna Give You Up"])
    assert g.recall(1, "never  gonna g") == ["Never Gonna Give You Up"]
    assert g.recall(1, "never") is None  # deleted back past it
    assert g.recall(2, "never gonna g") is None  # another user
    g.remember(1, "take on", [])
    assert g.recall(1, "never gonna gi") == ["Never Gonna Give You Up"]  # empty not kept
