"""/stats through the fakes: top tracks, top requesters and listening time; the opt-out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Harness, answer, harness
from tests.e2e.test_autoplay import queue_end
from tests.fakes.discord_models import Member

MINUTES_3 = 180_000  # at clock speed 1000 a 3-minute track lasts 0.18 s


@pytest.fixture
async def fast(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path, clock_speed=1000.0) as running:
        yield running


async def stats(
    h: Harness, subcommand: str = "show", *, user: Member | None = None, **options: Any
) -> dict[str, Any]:
    """Run /stats <subcommand> and return the answer."""
    interaction = await h.discord.slash(
        "stats",
        subcommand=subcommand,
        user=user or h.world.alice,
        guild=h.world.guild,
        channel=h.world.text,
        options=options,
    )
    return await answer(interaction)


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0].get("fields", [])}


async def listen(h: Harness) -> None:
    """Alice plays "Anthem" twice and "Ballad" once; Bob plays "Anthem" once (3 min each)."""
    for identifier, title in (("anthem", "Anthem"), ("ballad", "Ballad")):
        h.lavalink.add_track(
            title=title,
            author="The Band",
            length=MINUTES_3,
            identifier=identifier,
            uri=f"https://example.com/{identifier}",
        )
    await h.join()
    await h.join(h.world.bob)
    for user, identifier in [
        (h.world.alice, "anthem"),
        (h.world.alice, "ballad"),
        (h.world.alice, "anthem"),
        (h.world.bob, "anthem"),
    ]:
        await h.reply("play", user=user, query=f"https://example.com/{identifier}")
    await queue_end(h)
    await h.bot.get_cog("audio").service.plays.settle()  # type: ignore[union-attr]


async def test_stats_show_top_tracks_requesters_and_time(fast: Harness) -> None:
    """Four 3-minute plays: 12 minutes, Anthem 3×, Alice 3 requests, Bob 1."""
    await listen(fast)
    shown = await stats(fast, period=0)
    assert not shown["ephemeral"]
    embed = shown["embeds"][0]
    assert "**4** plays" in embed["description"] and "**12 min**" in embed["description"]
    top = fields(shown)
    assert top["Top tracks"].splitlines()[0].endswith("· 3×")
    assert "Anthem" in top["Top tracks"].splitlines()[0]
    assert top["Top requesters"].splitlines() == [
        f"`1.` <@{fast.world.alice.id}> · 3 requests",
        f"`2.` <@{fast.world.bob.id}> · 1 request",
    ]


async def test_opted_out_members_are_not_shown(fast: Harness) -> None:
    """After /stats optout Bob's plays and name are gone from /stats; optin brings them back."""
    await listen(fast)
    opted = await stats(fast, "optout", user=fast.world.bob)
    assert opted["ephemeral"] and "opted out" in opted["embeds"][0]["description"]
    shown = await stats(fast)
    assert str(fast.world.bob.id) not in str(shown["embeds"])
    assert "**3** plays" in shown["embeds"][0]["description"]
    assert "· 2×" in fields(shown)["Top tracks"].splitlines()[0]
    await stats(fast, "optin", user=fast.world.bob)
    shown = await stats(fast)
    assert str(fast.world.bob.id) in fields(shown)["Top requesters"]


async def test_stats_of_a_quiet_server(fast: Harness) -> None:
    """No plays yet: a plain sentence, no empty fields."""
    shown = await stats(fast, period=7)
    assert "Nothing has been played here in the last 7 days" in shown["embeds"][0]["description"]
