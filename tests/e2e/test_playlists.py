"""/playlist through the fakes: save the queue, load it like /play, list, show, add, remove,
delete, with the limits and friendly refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.reload import SettingsReloader
from tests.e2e.harness import Harness, answer, harness
from tests.e2e.test_controls import start_playing
from tests.e2e.test_play import embed_text
from tests.fakes.discord_models import Member


async def playlist(
    h: Harness, subcommand: str, *, user: Member | None = None, **options: Any
) -> dict[str, Any]:
    """Run /playlist <subcommand> and return the answer the user sees."""
    interaction = await h.discord.slash(
        "playlist",
        subcommand=subcommand,
        user=user or h.world.alice,
        guild=h.world.guild,
        channel=h.world.text,
        options={k: v for k, v in options.items() if v is not None},
    )
    return await answer(interaction)


def text(message: dict[str, Any]) -> str:
    footers = " ".join((e.get("footer") or {}).get("text", "") for e in message["embeds"])
    return f"{embed_text(message)} {footers}"


async def test_save_list_show_the_queue(h: Harness) -> None:
    """Save keeps the current track and the queue in order; list and show display it."""
    await start_playing(h, 3)
    saved = await playlist(h, "save", name="Road Trip")
    assert saved["ephemeral"] and "Saved 3 tracks as **Road Trip**" in text(saved)
    listed = await playlist(h, "list")
    assert "Road Trip" in text(listed) and "3 tracks" in text(listed) and "1/25" in text(listed)
    shown = await playlist(h, "show", name="road trip")
    assert [line.split("·")[0] for line in shown["embeds"][0]["description"].splitlines()] == [
        "`1.` [Track T1](https://example.com/t1) ",
        "`2.` [Track T2](https://example.com/t2) ",
        "`3.` [Track T3](https://example.com/t3) ",
    ]


async def test_load_queues_it_like_play(h: Harness) -> None:
    """Load joins and plays like /play does with a playlist, and answers the same way."""
    await start_playing(h, 2)
    await playlist(h, "save", name="mix")
    await h.reply("stop")
    since = h.mark()
    loaded = await playlist(h, "load", name="MIX")
    assert not loaded["ephemeral"]
    assert "Playlist queued" in text(loaded) and "**mix**: 2 tracks" in text(loaded)
    await h.playing("t1")
    assert not [r for r in h.lavalink.requests[since:] if r.path == "/v4/loadtracks"]


async def test_load_keeps_the_guilds_queue_limit(h: Harness) -> None:
    """Only what fits in the guild's queue is queued, as with /play."""
    await start_playing(h, 5)
    await playlist(h, "save", name="five")
    await h.reply("stop")
    assert h.bot.guild_settings is not None
    await h.bot.guild_settings.update(h.world.guild.id, max_queue_length=3)
    loaded = await playlist(h, "load", name="five")
    assert "Added 3; 2 did not fit" in text(loaded)


async def test_load_needs_voice(h: Harness) -> None:
    """Loading outside voice is refused before anything is queued."""
    await start_playing(h, 1)
    await playlist(h, "save", name="one")
    refused = await playlist(h, "load", name="one", user=h.world.bob)
    assert refused["ephemeral"] and "voice channel" in refused["content"]


async def test_save_does_not_replace_without_overwrite(h: Harness) -> None:
    """Saving over an existing name asks for overwrite; with it the playlist is replaced."""
    await start_playing(h, 2)
    await playlist(h, "save", name="gym")
    refused = await playlist(h, "save", name="GYM")
    assert refused["ephemeral"] and "overwrite" in refused["content"]
    await h.reply("skip")
    await h.playing("t2")
    replaced = await playlist(h, "save", name="Gym", overwrite=True)
    assert "Saved 1 track as **gym**" in text(replaced)
    listed = await playlist(h, "list")
    assert "1 track" in text(listed) and "1/25" in text(listed)


async def test_save_an_empty_queue_is_refused(h: Harness) -> None:
    """Nothing playing: nothing to save."""
    refused = await playlist(h, "save", name="empty")
    assert refused["ephemeral"] and "queue is empty" in refused["content"]


async def test_add_search_current_and_link(h: Harness) -> None:
    """Add takes a search's best result, the current track, or every track of a link;
    a new name makes a new playlist."""
    h.lavalink.add_track(title="Opening Theme", author="The Band", identifier="open")
    created = await playlist(h, "add", name="faves", query="opening theme")
    assert "Added **Opening Theme** to **faves** (a new playlist)" in text(created)
    await start_playing(h, 1)
    current = await playlist(h, "add", name="faves")
    assert "Added **Track T1** to **faves** (2 tracks)" in text(current)
    tracks = [h.lavalink.add_track(title=f"P{i}", identifier=f"p{i}") for i in range(3)]
    h.lavalink.add_playlist("Three", tracks, url="https://example.com/list/three")
    linked = await playlist(h, "add", name="faves", query="https://example.com/list/three")
    assert "Added 3 tracks to **faves** (5 tracks)" in text(linked)


async def test_add_without_query_needs_a_playing_track(h: Harness) -> None:
    """Nothing playing and no query: a hint instead."""
    refused = await playlist(h, "add", name="faves")
    assert refused["ephemeral"] and "Nothing is playing" in refused["content"]


async def test_remove_by_position_and_bad_positions(h: Harness) -> None:
    """Remove takes a position from /playlist show; a wrong one is explained."""
    await start_playing(h, 3)
    await playlist(h, "save", name="three")
    removed = await playlist(h, "remove", name="three", position=2)
    assert "Removed **Track T2** from **three**" in text(removed)
    shown = await playlist(h, "show", name="three")
    assert "Track T2" not in text(shown) and "2 tracks" in text(shown)
    refused = await playlist(h, "remove", name="three", position=5)
    assert refused["ephemeral"] and "choose 1 to 2" in refused["content"]


async def test_delete_and_unknown_names(h: Harness) -> None:
    """Delete removes it; unknown names get the same friendly answer everywhere."""
    await start_playing(h, 1)
    await playlist(h, "save", name="temp")
    deleted = await playlist(h, "delete", name="Temp")
    assert "Deleted your playlist **temp**" in text(deleted)
    for sub, options in [("delete", {}), ("show", {}), ("load", {}), ("remove", {"position": 1})]:
        refused = await playlist(h, sub, name="temp", **options)
        assert refused["ephemeral"] and "no playlist named **temp**" in refused["content"], sub
    listed = await playlist(h, "list")
    assert "no playlists yet" in text(listed)


async def test_playlists_are_per_user(h: Harness) -> None:
    """Bob does not see or load Alice's playlists."""
    await start_playing(h, 1)
    await playlist(h, "save", name="alice's")
    assert "no playlists yet" in text(await playlist(h, "list", user=h.world.bob))
    refused = await playlist(h, "show", name="alice's", user=h.world.bob)
    assert "no playlist named" in refused["content"]


async def test_limits_on_count_size_and_name(tmp_path: Path) -> None:
    """The configured limits (`[limits]` playlists_per_user, playlist_max_tracks,
    playlist_name_length): too many playlists, a full playlist and a long name are refused."""
    limits = {"playlists_per_user": 2, "playlist_max_tracks": 3, "playlist_name_length": 10}
    async with harness(tmp_path, limits=limits) as h:
        await start_playing(h, 4)
        saved = await playlist(h, "save", name="first")
        assert "Saved 3 tracks" in text(saved) and "Only the first 3 of 4" in text(saved)
        await playlist(h, "save", name="second")
        refused = await playlist(h, "save", name="third")
        assert refused["ephemeral"] and "up to 2 playlists" in refused["content"]
        full = await playlist(h, "add", name="first")
        assert full["ephemeral"] and "full (3 tracks)" in full["content"]
        too_long = await playlist(h, "save", name="x" * 11, overwrite=True)
        assert too_long["ephemeral"] and "at most 10 characters" in too_long["content"]
        blank = await playlist(h, "add", name="   ")
        assert blank["ephemeral"] and "Give the playlist a name" in blank["content"]


async def test_a_reloaded_limit_applies_to_the_next_command(h: Harness, tmp_path: Path) -> None:
    """Lowering `limits.playlists_per_user` in the config file takes effect without a restart."""
    await start_playing(h, 1)
    await playlist(h, "save", name="first")
    config = tmp_path / "config.toml"
    config.write_text("[limits]\ncommands_per_user_per_10s = 1000\nplaylists_per_user = 1\n")
    h.bot.reloader = SettingsReloader(h.bot.settings, config)
    assert h.bot.reloader.reload()
    refused = await playlist(h, "save", name="second")
    assert refused["ephemeral"] and "up to 1 playlists" in refused["content"]


async def test_name_autocomplete_lists_the_users_playlists(h: Harness) -> None:
    """Typing a name suggests the user's own playlists that contain it."""
    await start_playing(h, 1)
    await playlist(h, "save", name="Gym Hits")
    await playlist(h, "save", name="Sleep")
    choices = await h.discord.autocomplete(
        "playlist", "name", "gym", user=h.world.alice, subcommand="load", guild=h.world.guild
    )
    assert [c["value"] for c in choices] == ["Gym Hits"]
