"""/sponsorblock through the fakes: categories sent to the plugin's route, segments announced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Harness, answer, harness
from tests.e2e.test_controls import start_playing
from tests.e2e.test_effects import sub
from tests.e2e.test_node_faults import rebuilt_on
from tests.e2e.test_play import embed_text

NO_PLUGIN = "doesn't have the SponsorBlock plugin"


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Harness]:
    """The harness with a Lavalink that has the SponsorBlock plugin."""
    async with harness(tmp_path, start=False) as h:
        h.lavalink.add_plugin("sponsorblock-plugin", "3.0.1")
        await h.start()
        yield h


async def sponsorblock(h: Harness, name: str, **options: Any) -> dict[str, Any]:
    """The answer to `/sponsorblock name`."""
    return await answer(await sub(h, "sponsorblock", name, **options))


def category_puts(h: Harness, since: int = 0) -> list[Any]:
    return [
        r
        for r in h.lavalink.requests[since:]
        if r.method == "PUT"
        and r.path.endswith(f"/players/{h.world.guild.id}/sponsorblock/categories")
    ]


async def test_categories_are_put_for_the_playing_player(sb: Harness) -> None:
    """While playing, /sponsorblock skip sends the categories to the plugin's route."""
    await start_playing(sb, 1)
    message = await sponsorblock(sb, "skip", sponsor=True, intro=True)
    assert "SponsorBlock will skip: intros, sponsors" in embed_text(message)
    (put,) = category_puts(sb)
    session_id = sb.lavalink.session_ids[0]
    assert (
        put.path == f"/v4/sessions/{session_id}/players/{sb.world.guild.id}/sponsorblock/categories"
    )
    assert put.json == ["intro", "sponsor"] and put.status == 204
    assert sb.lavalink.sponsorblock_categories(sb.world.guild.id) == ["intro", "sponsor"]


async def test_options_left_out_stay_and_off_clears(sb: Harness) -> None:
    """A second /sponsorblock skip changes only the categories it names; off sends DELETE."""
    await start_playing(sb, 1)
    await sponsorblock(sb, "skip", sponsor=True, outro=True)
    await sponsorblock(sb, "skip", outro=False, selfpromo=True)
    assert category_puts(sb)[-1].json == ["selfpromo", "sponsor"]
    since = sb.mark()
    assert "won't skip any segments" in embed_text(await sponsorblock(sb, "off"))
    await sb.lavalink.wait_for_request(
        "DELETE", r"/sponsorblock/categories$", since=since, timeout=5
    )
    assert sb.lavalink.sponsorblock_categories(sb.world.guild.id) is None


async def test_categories_chosen_before_playing_reach_the_first_track(sb: Harness) -> None:
    """Chosen before joining: sent to the new player before its track, so segments are skipped."""
    sb.add_tracks(1)
    sb.lavalink.add_segments("t1", ("sponsor", 10_000, 40_000))
    await sb.join()
    await sponsorblock(sb, "skip", sponsor=True)
    assert category_puts(sb) == []  # no player yet: kept for the join
    since = sb.mark()
    await sb.reply("play", query="https://example.com/t1")
    await sb.playing("t1")
    put = category_puts(sb, since)[0]
    started = next(
        r
        for r in sb.lavalink.requests[since:]
        if r.method == "PATCH" and r.json.get("encodedTrack")
    )
    assert put.seq < started.seq
    loaded = await sb.discord.wait_for_message(
        sb.world.text, lambda m: "SponsorBlock will skip 1 segment" in embed_text(m)
    )
    assert "(sponsors)" in embed_text(loaded)


async def test_skipped_segment_is_announced_and_moves_the_position(tmp_path: Path) -> None:
    """SegmentSkipped: a short message in the channel; the player jumped past the segment."""
    async with harness(tmp_path, start=False, clock_speed=20.0) as h:
        h.lavalink.add_plugin("sponsorblock-plugin")
        await h.start()
        h.add_tracks(1)
        h.lavalink.add_segments("t1", ("sponsor", 2_000, 30_000))
        await h.join()
        await sponsorblock(h, "skip", sponsor=True)
        await h.reply("play", query="https://example.com/t1")
        message = await h.discord.wait_for_message(
            h.world.text, lambda m: "Skipped sponsors (0:02–0:30)" in embed_text(m), timeout=5
        )
        assert message["embeds"]
        player = h.lavalink.player(h.world.guild.id)
        assert player is not None and player["state"]["position"] >= 30_000


async def test_rebuild_puts_the_categories_again(sb: Harness) -> None:
    """The plugin forgets categories with the player; the rebuilt player gets them again."""
    await start_playing(sb, 1)
    await sponsorblock(sb, "skip", sponsor=True)
    since = sb.mark()
    await sb.lavalink.drop_websockets()
    await rebuilt_on(sb.lavalink, sb, since)
    puts = category_puts(sb, since)
    assert puts and puts[-1].json == ["sponsor"] and puts[-1].status == 204
    assert sb.lavalink.sponsorblock_categories(sb.world.guild.id) == ["sponsor"]


async def test_refused_when_the_node_lacks_the_plugin(h: Harness) -> None:
    """Without the plugin: a clear refusal, nothing sent, /sponsorblock show says why."""
    await start_playing(h, 1)
    since = h.mark()
    message = await sponsorblock(h, "skip", sponsor=True)
    assert NO_PLUGIN in message["content"] and message["ephemeral"]
    assert category_puts(h, since) == []
    shown = await sponsorblock(h, "show")
    assert NO_PLUGIN in embed_text(shown) and shown["ephemeral"]
