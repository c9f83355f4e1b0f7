"""FakeDiscord against a real discord.py 2.7 client: login, command sync, REST messages,
limits, permissions, rate limits, unknown routes and the control API."""

from __future__ import annotations

import io

import aiohttp
import discord
import pytest
from discord import app_commands

from .discord import FakeDiscord, P
from .discord_testkit import World, build_world, fake_discord, make_client, running

PRIVILEGED = (1 << 1) | (1 << 8) | (1 << 15)  # GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT


@pytest.fixture
async def fake():
    async with fake_discord() as f:
        yield f


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    return build_world(fake)


async def test_login_ready_and_guild_create(fake: FakeDiscord, world: World) -> None:
    await fake.join_voice(world.guild, world.alice, world.voice)
    client = make_client()
    async with running(client, fake.token):
        guild = client.get_guild(world.guild.id)
        assert guild is not None and guild.name == "Test Guild"
        assert {c.name for c in guild.channels} == {"general", "Music"}
        assert guild.default_role.id == guild.id
        assert guild.me is not None and guild.me.id == fake.bot_user.id
        assert client.user.bot and client.application_id == fake.application_id
        # without GUILD_PRESENCES Discord sends only the bot and members in voice
        assert {m.name for m in guild.members} == {"FakeBot", "alice"}
        assert guild.member_count == 4  # bot, owner, alice, bob
        assert [m.id for m in guild.get_channel(world.voice.id).members] == [world.alice.id]
        assert guild.get_channel(world.voice.id).user_limit == 0
        me_perms = guild.get_channel(world.text.id).permissions_for(guild.me)
        assert me_perms.send_messages and not me_perms.administrator
    ident = fake.identifies[0]
    assert ident["intents"] & PRIVILEGED == 0 and "shard" not in ident
    assert fake.chunk_requests == []
    ready = next(d for _, ev, d in fake.dispatched if ev == "READY")
    assert ready["resume_gateway_url"] == fake.resume_gateway_url
    assert fake.heartbeats >= 1  # the client heartbeats at once after HELLO
    fake.assert_no_errors()


async def test_wrong_token_login_failure(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()
    assert fake.take_errors()[0]["status"] == 401


async def test_command_sync_round_trip(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="play", description="Play a track")
    @app_commands.describe(query="what to play")
    async def play(inter: discord.Interaction, query: str, volume: int | None = None) -> None:
        await inter.response.send_message(query)

    guild = discord.Object(world.guild.id)
    tree.copy_global_to(guild=guild)
    async with running(client, fake.token):
        synced = await tree.sync(guild=guild)
        assert [c.name for c in synced] == ["play"] and synced[0].id
        assert synced[0].guild_id == world.guild.id
        stored = fake.commands(world.guild)
        assert stored[0]["id"] == str(synced[0].id)
        assert [o["name"] for o in stored[0]["options"]] == ["query", "volume"]
        again = await tree.sync(guild=guild)
        assert again[0].id == synced[0].id  # same name keeps its id
        fetched = await tree.fetch_commands(guild=guild)
        assert [c.id for c in fetched] == [synced[0].id]
        global_ = await tree.sync()  # copy_global_to keeps the global command
        assert global_[0].guild_id is None and global_[0].id != synced[0].id
        assert "guild_id" not in fake.commands()[0]
    fake.assert_no_errors()


async def test_invalid_command_sync(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    tree = app_commands.CommandTree(client)
    choices = [app_commands.Choice(name=f"c{i}", value=f"v{i}") for i in range(30)]

    @tree.command(name="pick", description="too many choices")
    @app_commands.choices(what=choices)
    async def pick(inter: discord.Interaction, what: app_commands.Choice[str]) -> None:
        pass

    async with running(client, fake.token):
        with pytest.raises(app_commands.CommandSyncFailure) as info:
            await tree.sync()
        assert info.value.status == 400 and info.value.code == 50035
        bad = [{"name": "Bad Name", "description": "x", "type": 1},
               {"name": "ok", "description": "", "type": 1}]
        with pytest.raises(discord.HTTPException) as info2:
            await client.http.bulk_upsert_global_commands(fake.application_id, payload=bad)
        assert info2.value.code == 50035
    errors = fake.take_errors()
    assert len(errors) == 2
    assert "0" in errors[1]["errors"] and "1" in errors[1]["errors"]


async def test_channel_message_crud_and_limits(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    async with running(client, fake.token):
        channel = client.get_channel(world.text.id)
        msg = await channel.send("hello", embed=discord.Embed(title="t", description="d"))
        stored = fake.messages[world.text.id][-1]
        assert stored["id"] == str(msg.id) and stored["embeds"][0]["title"] == "t"
        await msg.edit(content="edited")
        assert fake.message(msg.id)["content"] == "edited"
        assert fake.message(msg.id)["edited_timestamp"]
        fetched = await channel.fetch_message(msg.id)
        assert fetched.content == "edited"
        upload = await channel.send("file", file=discord.File(io.BytesIO(b"abc"), "a.txt"))
        assert upload.attachments[0].filename == "a.txt" and upload.attachments[0].size == 3
        await msg.delete()
        assert fake.message(msg.id) is None
        with pytest.raises(discord.NotFound) as nf:
            await channel.fetch_message(msg.id)
        assert nf.value.code == 10008
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert too_long.value.status == 400 and too_long.value.code == 50035
        big = [discord.Embed(description="y" * 4000), discord.Embed(description="z" * 2001)]
        with pytest.raises(discord.HTTPException):
            await channel.send(embeds=big)
        with pytest.raises(discord.HTTPException) as empty:
            await channel.send("")
        assert empty.value.code == 50006
        assert (await client.fetch_channel(world.voice.id)).user_limit == 0
        fetched_guild = await client.fetch_guild(world.guild.id)
        assert fetched_guild.owner_id == world.guild.owner_id
        assert len(await fetched_guild.fetch_channels()) == 2
        assert (await fetched_guild.fetch_member(world.bob.id)).name == "bob"
        with pytest.raises(discord.NotFound):
            await fetched_guild.fetch_member(12345)
    errors = fake.take_errors()
    assert [e["code"] for e in errors] == [10008, 50035, 50035, 50006, 10007]
    assert errors[1]["errors"] == {"content": {"_errors": [
        {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}}


async def test_missing_permission_is_403(fake: FakeDiscord, world: World) -> None:
    world.text.set_permissions(world.guild.me, deny=P.SEND_MESSAGES)
    client = make_client()
    async with running(client, fake.token):
        with pytest.raises(discord.Forbidden) as info:
            await client.get_channel(world.text.id).send("hi")
        assert info.value.code == 50013
    assert fake.take_errors()[0]["status"] == 403


async def test_rate_limit_then_success(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    async with running(client, fake.token):
        fake.rate_limit(r"^/channels/\d+/messages$", retry_after=0.05)
        await client.get_channel(world.text.id).send("after 429")
        sends = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/messages")]
        assert [r.status for r in sends] == [429, 200]
        fake.rate_limit(r"^/channels/\d+/messages$", retry_after=0.05, global_=True)
        await client.get_channel(world.text.id).send("after global 429")
        fake.server_error(r"^/channels/\d+$", status=503)
        with pytest.raises(discord.DiscordServerError):
            await client.fetch_channel(world.text.id)
        start = len(fake.requests)
        fake.server_error(r"^/guilds/\d+$", status=500)  # retried after discord.py's 1 s
        await client.fetch_guild(world.guild.id)
        rec = await fake.wait_for_request("GET", r"^/guilds/\d+$", start=start)
        assert [r.status for r in fake.requests[start:]] == [500, 200] and rec.status == 500
        headers = fake.requests[-1].headers
        assert "Authorization" not in headers and headers["User-Agent"].startswith("DiscordBot")
    assert len(fake.messages[world.text.id]) == 2
    fake.assert_no_errors()  # injected faults are not validation errors


async def test_unknown_route_is_recorded(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    async with running(client, fake.token):
        with pytest.raises(discord.NotFound):
            await client.http.request(discord.http.Route("GET", "/users/@me/connections"))
    assert fake.unhandled[-1].path == "/users/@me/connections"
    assert fake.take_errors()[-1]["status"] == 404


async def test_control_api_in_process(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="hello", description="Say hello")
    async def hello(inter: discord.Interaction, who: str) -> None:
        await inter.response.send_message(f"hello {who}")

    async with running(client, fake.token), aiohttp.ClientSession() as http:
        await tree.sync()
        body = {"name": "hello", "guild_id": str(world.guild.id),
                "user_id": str(world.alice.id), "channel_id": str(world.text.id),
                "options": {"who": "bob"}}
        async with http.post(f"{fake.base_url}/_control/slash", json=body) as resp:
            data = await resp.json()
        assert data["final_message"]["content"] == "hello bob"
        async with http.get(f"{fake.base_url}/_control/messages/{world.text.id}") as resp:
            assert [m["content"] for m in await resp.json()] == ["hello bob"]
        async with http.post(f"{fake.base_url}/_control/voice",
                             json={"guild_id": str(world.guild.id),
                                   "user_id": str(world.bob.id),
                                   "channel_id": str(world.voice.id)}) as resp:
            assert resp.status == 200
        async with http.get(f"{fake.base_url}/_control/requests") as resp:
            assert any(r["path"].endswith("/callback") for r in await resp.json())
    fake.assert_no_errors()
