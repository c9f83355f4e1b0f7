"""/filter through the fakes: what Lavalink's player gets as `filters`, and what the user sees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.harness import Harness, answer, harness
from tests.e2e.test_controls import start_playing
from tests.e2e.test_node_faults import rebuilt_on
from tests.e2e.test_now_playing import now_playing
from tests.e2e.test_play import embed_text
from tests.fakes.discord_interactions import Interaction

# Lavalink's Filters object (docs/api/rest.md#filters) for the presets under test.
NIGHTCORE = {"timescale": {"speed": 1.3, "pitch": 1.3}}
BASS_HIGH = [
    {"band": band, "gain": gain} for band, gain in enumerate((0.5, 0.45, 0.35, 0.2, 0.1, 0.05))
]


async def sub(h: Harness, group: str, name: str, **options: Any) -> Interaction:
    """Run `/group name` as alice in the music channel."""
    w = h.world
    return await h.discord.slash(
        group, user=w.alice, guild=w.guild, channel=w.text, subcommand=name, options=options
    )


async def filter_reply(h: Harness, name: str, **options: Any) -> dict[str, Any]:
    """The answer to `/filter name`."""
    return await answer(await sub(h, "filter", name, **options))


def filter_patches(h: Harness, since: int) -> list[dict[str, Any]]:
    gid = h.world.guild.id
    return [
        r.json
        for r in h.lavalink.requests[since:]
        if r.method == "PATCH" and r.path.endswith(f"/players/{gid}") and "filters" in r.json
    ]


async def test_nightcore_sends_the_timescale_filter(h: Harness) -> None:
    """/filter nightcore: the player PATCH carries Lavalink's timescale filter."""
    await start_playing(h, 1)
    since = h.mark()
    message = await filter_reply(h, "nightcore")
    assert "**Nightcore** on" in embed_text(message)
    body = await h.player_patch(lambda b: "filters" in b, since=since)
    assert body["filters"] == NIGHTCORE
    player = h.lavalink.player(h.world.guild.id)
    assert player is not None and player["filters"] == NIGHTCORE


async def test_effects_stack_and_reset_clears_them(h: Harness) -> None:
    """Bass boost then nightcore send both filters; /filter reset sends an empty object."""
    await start_playing(h, 1)
    since = h.mark()
    await filter_reply(h, "bassboost", level="high")
    message = await filter_reply(h, "nightcore")
    assert "Active: Bass boost (high) + Nightcore" in embed_text(message)
    assert filter_patches(h, since)[-1]["filters"] == {"equalizer": BASS_HIGH, **NIGHTCORE}
    since = h.mark()
    assert "Effects off" in embed_text(await filter_reply(h, "reset"))
    await h.player_patch(lambda b: b.get("filters") == {}, since=since)
    player = h.lavalink.player(h.world.guild.id)
    assert player is not None and player["filters"] == {}


async def test_speed_and_pitch_share_the_timescale(h: Harness) -> None:
    """/filter speed and /filter pitch set two fields of one timescale; nightcore replaces both."""
    await start_playing(h, 1)
    since = h.mark()
    await filter_reply(h, "speed", factor=1.25)
    await filter_reply(h, "pitch", factor=0.8)
    assert filter_patches(h, since)[-1]["filters"] == {"timescale": {"speed": 1.25, "pitch": 0.8}}
    message = await filter_reply(h, "nightcore")
    assert "Active: Nightcore." in embed_text(message)
    assert filter_patches(h, since)[-1]["filters"] == NIGHTCORE


async def test_now_playing_shows_the_active_effects(h: Harness) -> None:
    """The now-playing message lists the effects, and drops them after a reset."""
    await start_playing(h, 1)
    await now_playing(h)
    await filter_reply(h, "8d")

    def effects(m: dict[str, Any]) -> str | None:
        fields = {f["name"]: f["value"] for f in m["embeds"][0].get("fields", [])}
        return fields.get("Effects")

    await now_playing(h, lambda m: effects(m) == "8D")
    await filter_reply(h, "reset")
    await now_playing(h, lambda m: effects(m) is None)


async def test_node_rebuild_reapplies_the_effects(h: Harness) -> None:
    """After the node drops, the rebuilt player gets the filters before its track."""
    await start_playing(h, 1)
    await filter_reply(h, "nightcore")
    since = h.mark()
    await h.lavalink.drop_websockets()
    await rebuilt_on(h.lavalink, h, since)
    player = await h.lavalink.wait_for_player(h.world.guild.id, connected=True, playing=True)
    assert player["filters"] == NIGHTCORE
    gid = h.world.guild.id
    patches = [
        r
        for r in h.lavalink.requests[since:]
        if r.method == "PATCH" and r.path.endswith(f"/players/{gid}")
    ]
    with_filters = next(r.seq for r in patches if r.json.get("filters") == NIGHTCORE)
    with_track = next(r.seq for r in patches if r.json.get("encodedTrack"))
    assert with_filters < with_track  # the track starts with the effect on


async def test_filter_needs_the_bot_in_voice(h: Harness) -> None:
    """With no player there is nothing to apply an effect to: said ephemerally."""
    await h.join()
    message = await filter_reply(h, "nightcore")
    assert message["content"] == "Nothing is playing." and message["ephemeral"]


async def test_filter_turned_off_on_the_node_is_refused(tmp_path: Path) -> None:
    """A filter missing from the node's /v4/info is refused by name; nothing is sent."""
    async with harness(tmp_path, start=False) as h:
        h.lavalink.filters.remove("rotation")
        await h.start()
        await start_playing(h, 1)
        since = h.mark()
        message = await filter_reply(h, "8d")
        assert "rotation filter turned off" in message["content"] and message["ephemeral"]
        assert filter_patches(h, since) == []
