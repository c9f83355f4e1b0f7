"""The REST API against the running bot: every action is the slash command's bus command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot import audio_commands as ac
from bot.api.auth import CachedKeys
from bot.bus import Channel
from bot.db.api_keys import ApiKeyStore, KeyScope
from tests.api.conftest import Api, serving


async def commands_seen(api: Api) -> list[Any]:
    """Subscribe to `discord-bot:commands` and return the list it fills."""
    seen: list[Any] = []

    async def record(command: Any) -> None:
        seen.append(command)

    api.h.bot.bus.subscribe(Channel.COMMANDS, record, name="test-recorder")
    return seen


# -- authentication and authorisation --------------------------------------------


async def test_no_key_or_a_wrong_key_is_401(api: Api) -> None:
    """Without a bearer key, or with an unknown one: 401 with a Bearer challenge."""
    for token in (None, "mbk_deadbeef_nope", "not-a-key"):
        status, body, response = await api.call("GET", api.player(), token=token)
        assert status == 401 and body["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_revoked_key_is_refused(tmp_path: Path) -> None:
    """A key works until it is revoked, then gets 401 (no key cache: at once)."""
    async with serving(tmp_path, key_cache_s=0) as api:
        issued = await api.issue("read")
        assert (await api.call("GET", api.player(), token=issued.token))[0] == 200
        assert api.h.bot.db is not None
        await ApiKeyStore(api.h.bot.db).revoke(issued.record.id)
        status, body, _ = await api.call("GET", api.player(), token=issued.token)
        assert status == 401 and "revoked" in body["error"]["message"]


async def test_key_cache_forgets_a_revoked_key_after_its_ttl(tmp_path: Path) -> None:
    """With the cache on, a key revoked elsewhere is refused once its entry expires."""
    now = [0.0]
    async with serving(tmp_path) as api:
        assert api.h.bot.db is not None
        store = ApiKeyStore(api.h.bot.db)
        keys = CachedKeys(store, ttl=5.0, clock=lambda: now[0])
        issued = await store.create(guild_id=1, scope=KeyScope.READ)
        assert await keys.verify(issued.token) == issued.record
        await store.revoke(issued.record.id)
        now[0] = 4.9
        assert await keys.verify(issued.token) == issued.record
        now[0] = 5.1
        assert await keys.verify(issued.token) is None


async def test_key_for_guild_a_cannot_touch_guild_b(api: Api) -> None:
    """403 for another guild's player, read or control; its list hides guild B."""
    token = await api.key("control")
    other = api.other.guild.id
    status, body, _ = await api.call("GET", api.player(guild_id=other), token=token)
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, _, _ = await api.call("POST", api.player("/pause", guild_id=other), token=token)
    assert status == 403


async def test_read_key_cannot_control(api: Api) -> None:
    """A read key may look but gets 403 insufficient_scope on actions."""
    token = await api.key("read")
    status, body, _ = await api.call("POST", api.player("/pause"), token=token)
    assert status == 403 and body["error"]["code"] == "insufficient_scope"


async def test_unknown_guild_is_404_and_bad_id_is_400(api: Api) -> None:
    """A guild the bot is not in is 404; a path id that is not a number is 400."""
    token = await api.key("read", guild=None)
    status, body, _ = await api.call("GET", "/api/v1/guilds/123/player", token=token)
    assert status == 404 and body["error"]["code"] == "guild_not_found"
    status, body, _ = await api.call("GET", "/api/v1/guilds/abc/player", token=token)
    assert status == 400 and body["error"]["code"] == "bad_request"


async def test_rate_limit_per_key_is_429_with_retry_after(tmp_path: Path) -> None:
    """Past api.requests_per_minute, a key gets 429; another key is unaffected."""
    async with serving(tmp_path, requests_per_minute=2) as api:
        token, fresh = await api.key("read"), await api.key("read")
        for _ in range(2):
            assert (await api.call("GET", api.player(), token=token))[0] == 200
        status, body, response = await api.call("GET", api.player(), token=token)
        assert status == 429 and body["error"]["code"] == "rate_limited"
        assert int(response.headers["Retry-After"]) >= 1
        assert (await api.call("GET", api.player(), token=fresh))[0] == 200


# -- validation -------------------------------------------------------------------


async def test_malformed_bodies_are_400_and_bad_fields_422(api: Api) -> None:
    """Not JSON or not an object: 400. Out of range, unknown or wrong type: 422."""
    await api.start_playing(1)
    token = await api.key()
    volume = api.player("/volume")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"data": "{nope", "headers": {"Content-Type": "application/json"}}, 400, "not valid JSON"),
        ({"json": [1, 2]}, 400, "JSON object"),
        ({"json": {"level": 201}}, 422, "level"),
        ({"json": {"level": "50"}}, 422, "level"),
        ({"json": {"level": 50, "extra": 1}}, 422, "extra: unknown field"),
        ({"json": {}}, 422, "level: Field required"),
    ]
    for kwargs, status, text in cases:
        got, body, _ = await api.call("POST", volume, token=token, **kwargs)
        assert (got, text in body["error"]["message"]) == (status, True), (kwargs, body)


async def test_bad_seek_time_is_422_with_the_slash_commands_hint(api: Api) -> None:
    """The seek text is parsed like /seek: the same hint on failure."""
    await api.start_playing(1)
    token = await api.key()
    status, body, _ = await api.call(
        "POST", api.player("/seek"), token=token, json={"position": "soon"}
    )
    assert status == 422 and "Try `1:23`" in body["error"]["message"]


async def test_play_when_the_bot_is_not_in_voice_is_409(api: Api) -> None:
    """The API acts in the bot's voice channel; with none, play is refused clearly."""
    api.h.add_tracks(1)
    token = await api.key()
    status, body, _ = await api.call(
        "POST", api.player("/play"), token=token, json={"query": "https://example.com/t1"}
    )
    assert status == 409 and body["error"]["code"] == "not_in_voice"
    assert "not in a voice channel" in body["error"]["message"]


async def test_nothing_playing_is_409_with_the_audio_sides_message(api: Api) -> None:
    """In voice with an ended queue, pause gives the slash command's 'Nothing is playing.'"""
    await api.start_playing(1)
    await api.h.reply("stop")
    token = await api.key()
    status, body, _ = await api.call("POST", api.player("/pause"), token=token)
    assert status == 409
    assert body["error"] == {"code": "nothing_playing", "message": "Nothing is playing."}


async def test_bad_queue_position_is_422(api: Api) -> None:
    """Removing a position past the queue gives the audio side's message."""
    await api.start_playing(2)
    token = await api.key()
    status, body, _ = await api.call("DELETE", api.queue("/9"), token=token)
    assert status == 422 and "choose 1 to 1" in body["error"]["message"]


# -- reading -----------------------------------------------------------------------


async def test_player_shows_track_position_and_queue(api: Api) -> None:
    """GET player: the current track, where it is, the upcoming tracks with positions."""
    await api.start_playing(3)
    token = await api.key("read")
    status, body, _ = await api.call("GET", api.player(), token=token)
    assert status == 200
    assert body["guild_id"] == str(api.guild_id) and body["guild_name"] == "Guild A"
    assert body["voice_channel_id"] == str(api.h.world.voice.id)
    assert body["track"]["title"] == "Track T1" and body["playing"] is True
    assert body["queue_length"] == 2 and body["position_ms"] >= 0
    assert [i["position"] for i in body["queue"]["items"]] == [1, 2]
    assert body["queue"]["items"][1]["track"]["title"] == "Track T3"


async def test_list_players_shows_only_the_keys_guilds(api: Api) -> None:
    """A guild key lists its guild's player; an all-guilds key lists every playing guild."""
    await api.start_playing(1)
    mine = await api.key("read")
    status, body, _ = await api.call("GET", "/api/v1/players", token=mine)
    assert status == 200
    assert [(p["guild_id"], p["track"]["title"]) for p in body["players"]] == [
        (str(api.guild_id), "Track T1")
    ]
    other_only = await api.key("read", guild=api.other.guild.id)
    _, body, _ = await api.call("GET", "/api/v1/players", token=other_only)
    assert body["players"] == []


# -- controlling --------------------------------------------------------------------


async def test_pause_is_the_slash_commands_bus_command_from_the_bots_channel(api: Api) -> None:
    """POST pause sends ac.Pause(origin="api") in the bot's voice channel; Lavalink pauses."""
    await api.start_playing(1)
    seen = await commands_seen(api)
    token = await api.key()
    since = api.h.mark()
    status, body, _ = await api.call("POST", api.player("/pause"), token=token)
    assert (status, body) == (200, {"message": "Paused."})
    await api.h.player_patch(lambda b: b.get("paused") is True, since=since)
    (command,) = [c for c in seen if isinstance(c, ac.Pause)]
    assert command.origin == "api" and command.guild_id == api.guild_id
    assert command.voice_channel_id == api.h.world.voice.id
    status, body, _ = await api.call("POST", api.player("/resume"), token=token)
    assert (status, body) == (200, {"message": "Resumed."})
    await api.h.player_patch(lambda b: b.get("paused") is False, since=since)


async def test_play_queues_and_skip_plays_it(api: Api) -> None:
    """POST play queues after the current track; skip starts it."""
    await api.start_playing(1)
    api.h.add_tracks(1, prefix="x")
    token = await api.key()
    status, body, _ = await api.call(
        "POST", api.player("/play"), token=token, json={"query": "https://example.com/x1"}
    )
    assert status == 200 and body["started"] is False and body["position"] == 1
    assert body["tracks"][0]["title"] == "Track X1"
    status, body, _ = await api.call("POST", api.player("/skip"), token=token)
    assert status == 200 and "Skipped **Track T1**" in body["message"]
    await api.h.playing("x1")


async def test_seek_volume_and_loop_reach_lavalink(api: Api) -> None:
    """Seek sends the position, volume the level; loop answers with the mode."""
    await api.start_playing(1)
    token = await api.key()
    since = api.h.mark()
    status, _, _ = await api.call(
        "POST", api.player("/seek"), token=token, json={"position": "1:23"}
    )
    assert status == 200
    await api.h.player_patch(lambda b: b.get("position") == 83_000, since=since)
    status, body, _ = await api.call(
        "POST", api.player("/volume"), token=token, json={"level": 150}
    )
    assert (status, body["message"]) == (200, "Volume set to 150%.")
    await api.h.player_patch(lambda b: b.get("volume") == 150, since=since)
    status, body, _ = await api.call(
        "POST", api.player("/loop"), token=token, json={"mode": "queue"}
    )
    assert (status, body["message"]) == (200, "Loop: **queue**.")


async def test_queue_add_move_remove_clear(api: Api) -> None:
    """Queue editing by position, as /remove, /move and /clear do."""
    await api.start_playing(1)
    api.h.add_tracks(3, prefix="q")
    token = await api.key()
    for i in (1, 2, 3):
        status, _, _ = await api.call(
            "POST", api.queue(), token=token, json={"query": f"https://example.com/q{i}"}
        )
        assert status == 200
    status, body, _ = await api.call(
        "POST", api.queue("/move"), token=token, json={"source": 3, "target": 1}
    )
    assert status == 200 and "Moved **Track Q3**" in body["message"]
    status, body, _ = await api.call("DELETE", api.queue("/2"), token=token)
    assert status == 200 and "Removed **Track Q1**" in body["message"]
    _, player, _ = await api.call("GET", api.player(), token=token)
    assert [i["track"]["title"] for i in player["queue"]["items"]] == ["Track Q3", "Track Q2"]
    status, body, _ = await api.call("DELETE", api.queue(), token=token)
    assert (status, body["message"]) == (200, "Removed 2 tracks from the queue.")


async def test_idempotency_key_makes_a_retried_play_queue_once(api: Api) -> None:
    """The same Idempotency-Key gets the first answer; another API key's same value runs anew."""
    await api.start_playing(1)
    api.h.add_tracks(1, prefix="x")
    token, other = await api.key(), await api.key()
    play = {"query": "https://example.com/x1"}
    retry = {"Idempotency-Key": "retry-7f3a"}
    first = await api.call("POST", api.player("/play"), token=token, json=play, headers=retry)
    again = await api.call("POST", api.player("/play"), token=token, json=play, headers=retry)
    assert first[0] == again[0] == 200 and first[1] == again[1]
    assert first[1]["position"] == 1
    _, detail, _ = await api.call("GET", api.player(), token=token)
    assert [item["track"]["title"] for item in detail["queue"]["items"]] == ["Track X1"]
    status, body, _ = await api.call(
        "POST", api.player("/play"), token=other, json=play, headers=retry
    )
    assert status == 200 and body["position"] == 2


async def test_malformed_idempotency_key_is_422_and_runs_nothing(api: Api) -> None:
    """A key with spaces or over 128 characters is refused before any command is sent."""
    await api.start_playing(1)
    seen = await commands_seen(api)
    token = await api.key()
    for value in ("two words", "x" * 129):
        status, body, _ = await api.call(
            "POST", api.player("/pause"), token=token, headers={"Idempotency-Key": value}
        )
        assert status == 422 and "Idempotency-Key" in body["error"]["message"]
    assert not [c for c in seen if isinstance(c, ac.Pause)]
