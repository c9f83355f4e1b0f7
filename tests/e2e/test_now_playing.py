"""The now-playing message: posted once, edited on changes, buttons on the same command path."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import Harness
from tests.e2e.test_controls import start_playing


def is_now_playing(message: dict[str, Any]) -> bool:
    return any(
        (e.get("author") or {}).get("name") in ("Now playing", "Paused") for e in message["embeds"]
    )


async def now_playing(h: Harness, predicate: Any = None) -> dict[str, Any]:
    return await h.discord.wait_for_message(
        h.world.text, lambda m: is_now_playing(m) and (predicate is None or predicate(m))
    )


async def test_message_posted_with_track_and_buttons(h: Harness) -> None:
    """A now-playing message shows title, requester, progress and the controller."""
    await start_playing(h, 2)
    message = await now_playing(h)
    embed = message["embeds"][0]
    assert embed["title"] == "Track T1"
    assert f"<@{h.world.alice.id}>" in str(embed["fields"])
    assert "/ 3:00" in embed["description"]
    ids = [c["custom_id"] for row in message["components"] for c in row["components"]]
    assert ids == ["np:toggle", "np:skip", "np:stop", "np:loop", "np:shuffle"]


async def test_message_is_edited_not_reposted(h: Harness) -> None:
    """A skip edits the same message to the next track."""
    await start_playing(h, 2)
    first = await now_playing(h)
    await h.reply("skip")
    await now_playing(h, lambda m: m["embeds"][0]["title"] == "Track T2")
    posted = [m for m in h.discord.messages[h.world.text.id] if is_now_playing(m)]
    assert [m["id"] for m in posted] == [first["id"]]


async def test_pause_button_goes_through_the_command_path(h: Harness) -> None:
    """The ⏯️ button pauses in Lavalink and the message shows Paused."""
    await start_playing(h, 1)
    message = await now_playing(h)
    since = h.mark()
    click = await h.discord.click(message, "np:toggle", user=h.world.alice)
    await click.wait_response()
    await h.player_patch(lambda b: b.get("paused") is True, since=since)
    await now_playing(h, lambda m: m["embeds"][0]["author"]["name"] == "Paused")


async def test_button_checks_the_voice_channel(h: Harness) -> None:
    """Bob, outside the bot's channel, can't skip with the button either."""
    await start_playing(h, 2)
    message = await now_playing(h)
    click = await h.discord.click(message, "np:skip", user=h.world.bob)
    response = await click.wait_response()
    assert response.data["data"]["flags"] & 64
    assert "voice channel" in response.data["data"]["content"]


async def test_deleted_message_is_posted_again(h: Harness) -> None:
    """If someone deletes the message, the next update posts a new one."""
    await start_playing(h, 2)
    first = await now_playing(h)
    # A moderator deletes it (through the REST API, as Discord's client would).
    await h.bot.http.delete_message(h.world.text.id, int(first["id"]))
    await h.reply("skip")
    second = await now_playing(h, lambda m: m["embeds"][0]["title"] == "Track T2")
    assert second["id"] != first["id"]
    # The edit of the deleted message was answered 404 Unknown Message, as Discord would.
    assert [e["code"] for e in h.discord.take_errors()] == [10008]


async def test_burst_of_changes_makes_few_edits(tmp_path) -> None:
    """Three skips inside the edit interval coalesce into one edit with the final state."""
    from tests.e2e.harness import harness

    async with harness(tmp_path, limits={"now_playing_min_edit_s": 1.0}) as h:
        await start_playing(h, 4)
        first = await now_playing(h)
        path = f"/channels/{h.world.text.id}/messages/{first['id']}"
        edits_before = sum(1 for r in h.discord.requests if r.method == "PATCH" and r.path == path)
        for _ in range(3):
            await h.reply("skip")
        await now_playing(h, lambda m: m["embeds"][0]["title"] == "Track T4")
        edits = sum(1 for r in h.discord.requests if r.method == "PATCH" and r.path == path)
        assert edits - edits_before <= 2
