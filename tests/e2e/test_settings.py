"""/settings through the fakes: anyone may look, Manage Server may change, bad values are named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.harness import Harness, answer, harness
from tests.e2e.test_autoplay import queue_end, radio, song
from tests.e2e.test_controls import start_playing
from tests.e2e.test_play import embed_text
from tests.fakes.discord_models import Member, P


def owner(h: Harness) -> Member:
    """The guild's owner: every permission, Manage Server included."""
    return h.world.guild.member(h.world.guild.owner_id)


async def settings(
    h: Harness, subcommand: str, *, user: Member | None = None, **options: Any
) -> dict[str, Any]:
    """Run /settings <subcommand> (as the guild's owner by default) and return the answer."""
    interaction = await h.discord.slash(
        "settings",
        user=user or owner(h),
        guild=h.world.guild,
        channel=h.world.text,
        subcommand=subcommand,
        options=options,
    )
    return await answer(interaction)


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"].removesuffix(" ✏️"): f["value"] for f in message["embeds"][0]["fields"]}


async def stored(h: Harness) -> Any:
    assert h.bot.guild_settings is not None
    return await h.bot.guild_settings.get(h.world.guild.id)


async def test_anyone_may_view_the_settings(h: Harness) -> None:
    """Bob, without any permission, sees every setting with its default, just for him."""
    message = await settings(h, "show", user=h.world.bob)
    assert message["ephemeral"]
    assert fields(message) == {
        "DJ role": "none: requesters and admins only",
        "Announce channel": "where /play was used",
        "24/7": "off",
        "Autoplay": "off",
        "Max queue length": "500 tracks",
        "Max track length": "no limit",
        "Vote-skip": "50% of listeners",
        "Default source": "YouTube",
        "Default volume": "100%",
        "Language": "automatic: each member's Discord language",
        "Allowed sources": "all sources",
    }


async def test_manage_server_changes_several_settings_at_once(h: Harness) -> None:
    """A member with Manage Server sets the DJ role, vote ratio, lengths, source and volume."""
    guild = h.world.guild
    dj = guild.add_role("DJ")
    manager = guild.add_member("erin", permissions=P.MANAGE_GUILD)
    message = await settings(
        h,
        "set",
        user=manager,
        dj_role=dj,
        announce_channel=h.world.text,
        vote_skip=60,
        max_queue_length=50,
        max_track_length="10:00",
        default_source="soundcloud",
        default_volume=70,
        autoplay="similar",
    )
    assert not message["ephemeral"]
    assert message["embeds"][0]["title"] == "Settings updated"
    shown = fields(message)
    assert shown["DJ role"] == f"<@&{dj.id}>"
    assert shown["Announce channel"] == f"<#{h.world.text.id}>"
    assert shown["Vote-skip"] == "60% of listeners"
    assert shown["Max track length"] == "10:00"
    assert shown["Default source"] == "SoundCloud"
    now = await stored(h)
    assert (now.dj_role_id, now.vote_skip_ratio, now.max_queue_length) == (dj.id, 0.6, 50)
    assert (now.max_track_length_s, now.default_source, now.default_volume) == (
        600,
        "soundcloud",
        70,
    )
    assert now.autoplay_mode == "similar"


async def test_allowed_sources_are_set_shown_and_reset(h: Harness) -> None:
    """A comma-separated list limits the sources (a default outside it is refused), all lifts it."""
    refused = await settings(h, "set", allowed_sources="soundcloud, bandcamp")
    assert refused["ephemeral"]
    assert "`default_source` youtube is not among the allowed sources" in refused["content"]
    assert (await stored(h)).allowed_sources is None
    unknown = await settings(h, "set", allowed_sources="soundcloud, myspace")
    assert "I don't know the source `myspace`" in unknown["content"]
    message = await settings(
        h, "set", allowed_sources="SoundCloud; bandcamp, soundcloud", default_source="soundcloud"
    )
    assert fields(message)["Allowed sources"] == "SoundCloud, Bandcamp"
    assert (await stored(h)).allowed_sources == ("soundcloud", "bandcamp")
    await h.join()
    played = await h.reply("play", query="never gonna give you up", source="youtube")
    assert played["ephemeral"] and "SoundCloud" in played["content"]
    everything = await settings(h, "set", allowed_sources="all")
    assert fields(everything)["Allowed sources"] == "all sources"
    assert (await stored(h)).allowed_sources is None
    await settings(h, "set", allowed_sources="youtube")
    reset = await settings(h, "reset", setting="allowed_sources")
    assert fields(reset)["Allowed sources"] == "all sources"


async def test_changing_needs_manage_server(h: Harness) -> None:
    """Bob may not change anything, nor switch 24/7; nothing is stored."""
    message = await settings(h, "set", user=h.world.bob, default_volume=10)
    assert message["ephemeral"]
    assert message["content"] == "Changing settings needs the **Manage Server** permission."
    refused = await h.reply("247", user=h.world.bob, enabled=True)
    assert "Manage Server" in refused["content"] and refused["ephemeral"]
    reset = await settings(h, "reset", user=h.world.bob, setting="default_volume")
    assert "Manage Server" in reset["content"]
    now = await stored(h)
    assert (now.default_volume, now.stay_247) == (100, False)


async def test_invalid_values_are_named_and_change_nothing(h: Harness) -> None:
    """The store's validation names the option; unknown sources and empty changes are explained."""
    too_long = await settings(h, "set", max_track_length="200:00:00", default_volume=10)
    assert too_long["ephemeral"]
    assert too_long["content"] == (
        "`max_track_length` (in seconds) must be a whole number from 1 to 604800."
    )
    zero = await settings(h, "set", max_track_length="0")
    assert zero["content"].startswith("`max_track_length` (in seconds) must be")
    unreadable = await settings(h, "set", max_track_length="soon")
    assert "can't read `soon`" in unreadable["content"]
    source = await settings(h, "set", default_source="myspace")
    assert "I don't know the source `myspace`" in source["content"]
    empty = await settings(h, "set")
    assert "Give at least one setting" in empty["content"]
    now = await stored(h)
    assert (now.max_track_length_s, now.default_volume, now.default_source) == (
        None,
        100,
        "youtube",
    )


async def test_reset_restores_the_default(h: Harness) -> None:
    """/settings reset clears the DJ role and puts the volume back to the configured default."""
    dj = h.world.guild.add_role("DJ")
    await settings(h, "set", dj_role=dj, default_volume=40)
    await settings(h, "reset", setting="dj_role_id")
    message = await settings(h, "reset", setting="default_volume")
    assert fields(message)["Default volume"] == "100%"
    now = await stored(h)
    assert (now.dj_role_id, now.default_volume) == (None, 100)


async def test_settings_survive_a_restart(h: Harness) -> None:
    """Changes are stored in the database, not only in the cache."""
    await settings(h, "set", vote_skip=75)
    await h.running.stop()  # type: ignore[union-attr]
    await h.start()
    assert fields(await settings(h, "show"))["Vote-skip"] == "75% of listeners"


async def test_announce_channel_gets_the_now_playing_message(h: Harness) -> None:
    """With an announce channel, now-playing goes there instead of where /play was used."""
    announce = h.world.guild.add_text_channel("now-playing")
    await settings(h, "set", announce_channel=announce)
    await start_playing(h, 1)
    message = await h.discord.wait_for_message(
        announce, lambda m: any(e.get("title") == "Track T1" for e in m["embeds"])
    )
    assert "Track T1" in embed_text(message)


async def test_autoplay_set_while_idle_starts_at_once(tmp_path: Path) -> None:
    """/settings set autoplay after the queue ended behaves like /autoplay: it starts now."""
    async with harness(tmp_path, clock_speed=200.0) as h:
        seed = song(h, "seedTrack01", "Opening Theme", "The Band")
        radio(h, seed, [seed, song(h, "relatedOne1", "Second Wave", "The Band", length=600_000)])
        await h.join()
        await h.reply("play", query=seed["info"]["uri"])
        await queue_end(h)
        message = await settings(h, "set", autoplay="similar")
        assert fields(message)["Autoplay"] == "similar"
        await h.playing("relatedOne1")
