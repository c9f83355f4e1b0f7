"""DJ role, requester and admin rights, and /voteskip, through the fakes.

Carol queues the music, Bob and Dave listen with her; Dave has a role that
becomes the DJ role where a test needs a DJ. The guild's owner is an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.e2e.harness import Harness, answer
from tests.e2e.test_play import embed_text
from tests.e2e.test_settings import owner, settings
from tests.fakes.discord_models import Member, P, Role


@dataclass
class Room:
    """Carol's music playing to Bob and Dave (and Carol) in the Lounge."""

    carol: Member
    dave: Member
    dj: Role


async def carol_playing(h: Harness, count: int = 3) -> Room:
    """Carol queues `count` tracks in the Lounge, Bob and Dave join; t1 plays."""
    guild = h.world.guild
    dj = guild.add_role("DJ")
    room = Room(carol=guild.add_member("carol"), dave=guild.add_member("dave", roles=[dj]), dj=dj)
    urls = h.add_tracks(count)
    for member in (room.carol, h.world.bob, room.dave):
        await h.join(member)
    for url in urls:
        await h.reply("play", query=url, user=room.carol)
    await h.playing("t1")
    return room


async def make_dj_role(h: Harness, role: Role) -> None:
    """The guild's owner makes `role` the DJ role."""
    message = await settings(h, "set", dj_role=role)
    assert f"<@&{role.id}>" in embed_text(message)


def current_identifier(h: Harness) -> str:
    player = h.lavalink.player(h.world.guild.id)
    assert player is not None and player["track"] is not None
    return player["track"]["info"]["identifier"]


async def test_non_dj_is_refused_skip_stop_clear_and_volume(h: Harness) -> None:
    """Bob neither requested the track nor is a DJ: each control is refused, Lavalink untouched."""
    await carol_playing(h)
    since = h.mark()
    refusals = {
        "skip": "can skip. Use /voteskip.",
        "stop": "can stop the music.",
        "clear": "can clear the queue.",
        "volume": "can change the volume.",
    }
    for command, ending in refusals.items():
        options = {"level": 50} if command == "volume" else {}
        message = await h.reply(command, user=h.world.bob, **options)
        assert message["ephemeral"]
        assert message["content"] == f"Only the requester of this track, DJs or admins {ending}"
    assert not [r for r in h.lavalink.requests[since:] if r.method == "PATCH"]
    assert current_identifier(h) == "t1"
    assert "Track T3" in embed_text(await h.reply("queue", user=h.world.bob))


async def test_non_dj_is_refused_on_the_skip_button(h: Harness) -> None:
    """The now-playing ⏭️ button takes the same path and gets the same refusal."""
    await carol_playing(h)
    message = await h.discord.wait_for_message(
        h.world.text, lambda m: any(e.get("title") == "Track T1" for e in m["embeds"])
    )
    click = await h.discord.click(message, "np:skip", user=h.world.bob)
    response = await click.wait_response()
    assert response.data["data"]["flags"] & 64
    assert "Use /voteskip" in response.data["data"]["content"]
    assert current_identifier(h) == "t1"


async def test_requester_may_skip_and_change_the_volume(h: Harness) -> None:
    """Carol requested the playing track: her controls work."""
    room = await carol_playing(h)
    since = h.mark()
    assert "Volume set to 80%" in embed_text(await h.reply("volume", level=80, user=room.carol))
    await h.player_patch(lambda b: b.get("volume") == 80, since=since)
    assert "Skipped **Track T1**" in embed_text(await h.reply("skip", user=room.carol))
    await h.playing("t2")


async def test_dj_may_control_someone_elses_track(h: Harness) -> None:
    """With the DJ role set, Dave may change the volume, skip, clear and stop Carol's music."""
    room = await carol_playing(h)
    await make_dj_role(h, room.dj)
    since = h.mark()
    assert "Volume set to 30%" in embed_text(await h.reply("volume", level=30, user=room.dave))
    await h.player_patch(lambda b: b.get("volume") == 30, since=since)
    assert "Skipped **Track T1**" in embed_text(await h.reply("skip", user=room.dave))
    await h.playing("t2")
    assert "Removed 1 tracks" in embed_text(await h.reply("clear", user=room.dave))
    assert "Stopped" in embed_text(await h.reply("stop", user=room.dave))


async def test_role_named_dj_means_nothing_until_it_is_the_dj_role(h: Harness) -> None:
    """Dave's role is only a role until an admin makes it the DJ role."""
    room = await carol_playing(h)
    message = await h.reply("skip", user=room.dave)
    assert "Use /voteskip" in message["content"]


async def test_admins_may_always_control(h: Harness) -> None:
    """A member with Manage Server (not the owner) and the owner both may skip Carol's track."""
    await carol_playing(h)
    manager = h.world.guild.add_member("erin", permissions=P.MANAGE_GUILD)
    await h.join(manager)
    assert "Skipped **Track T1**" in embed_text(await h.reply("skip", user=manager))
    await h.playing("t2")
    await h.join(owner(h))
    assert "Skipped **Track T2**" in embed_text(await h.reply("skip", user=owner(h)))
    await h.playing("t3")


async def test_voteskip_passes_exactly_at_the_threshold(h: Harness) -> None:
    """Three listeners, ratio 0.5: one vote is not enough, the second distinct vote skips."""
    room = await carol_playing(h)
    first = await h.reply("voteskip", user=h.world.bob)
    assert "Vote to skip **Track T1**: 1/2 votes." in embed_text(first)
    again = await h.reply("voteskip", user=h.world.bob)
    assert again["ephemeral"] and "already voted" in again["content"]
    assert current_identifier(h) == "t1"
    second = await h.reply("voteskip", user=room.dave)
    assert "Vote passed (2/2). Skipped **Track T1**." in embed_text(second)
    await h.playing("t2")


async def test_votes_reset_when_the_track_changes(h: Harness) -> None:
    """A vote for a track that was skipped meanwhile does not carry over to the next one."""
    room = await carol_playing(h)
    await h.reply("voteskip", user=h.world.bob)
    await h.reply("skip", user=room.carol)
    await h.playing("t2")
    message = await h.reply("voteskip", user=room.dave)
    assert "Vote to skip **Track T2**: 1/2 votes." in embed_text(message)
    assert current_identifier(h) == "t2"


async def test_requesters_voteskip_is_immediate(h: Harness) -> None:
    """Carol's own /voteskip skips at once."""
    room = await carol_playing(h)
    assert "Skipped **Track T1**" in embed_text(await h.reply("voteskip", user=room.carol))
    await h.playing("t2")


async def test_vote_ratio_is_a_guild_setting(h: Harness) -> None:
    """At 100 % all three listeners must agree."""
    room = await carol_playing(h)
    await h.bot.guild_settings.update(h.world.guild.id, vote_skip_ratio=1.0)  # type: ignore[union-attr]
    await h.reply("voteskip", user=h.world.bob)
    message = await h.reply("voteskip", user=room.dave)
    assert "2/3 votes" in embed_text(message)
    assert current_identifier(h) == "t1"


async def test_filters_are_for_the_requester_djs_and_admins(h: Harness) -> None:
    """Bob may not add or reset effects on Carol's track; Carol may; no filter reaches Lavalink."""
    room = await carol_playing(h)

    async def filter_as(member: Member, subcommand: str) -> dict[str, Any]:
        interaction = await h.discord.slash(
            "filter", user=member, guild=h.world.guild, channel=h.world.text, subcommand=subcommand
        )
        return await answer(interaction)

    since = h.mark()
    for subcommand in ("nightcore", "reset"):
        message = await filter_as(h.world.bob, subcommand)
        assert message["ephemeral"]
        assert message["content"] == (
            "Only the requester of this track, DJs or admins can change the filters."
        )
    assert not [r for r in h.lavalink.requests[since:] if r.method == "PATCH"]
    assert "**Nightcore** on" in embed_text(await filter_as(room.carol, "nightcore"))
    await h.player_patch(lambda b: "filters" in b, since=since)
