"""FakeDiscord against a real discord.py 2.7 client: login, READY/GUILD_CREATE, sharding,
command sync, REST messages, rate limits, gateway faults and voice."""

from __future__ import annotations

import asyncio
import io

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from .discord import FakeDiscord, P, point_discord_py_at
from .discord_testkit import (
    FastClient,
    Recorder,
    RecordingVoiceProtocol,
    World,
    build_world,
    running,
)

PRIVILEGED = (1 << 1) | (1 << 8) | (1 << 15)


@pytest.fixture
async def fake():
    async with FakeDiscord() as f:
        restore = point_discord_py_at(f.api_base)
        try:
            yield f
        finally:
            restore()


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    return build_world(fake)


class FastShardedBot(commands.AutoShardedBot):
    """discord.py sleeps 5 s before each IDENTIFY but the first (shard 1 too): skip it."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def make_client(**kw) -> FastClient:
    return FastClient(intents=discord.Intents.default(), guild_ready_timeout=0.1, **kw)


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


async def test_full_member_list_with_presences_intent() -> None:
    async with FakeDiscord(privileged_intents=PRIVILEGED) as fake:
        restore = point_discord_py_at(fake.api_base)
        world = build_world(fake)
        intents = discord.Intents.default()
        intents.members = intents.presences = True
        client = FastClient(intents=intents, guild_ready_timeout=0.1)
        try:
            async with running(client, fake.token):
                guild = client.get_guild(world.guild.id)
                assert guild.chunked and len(guild.members) == guild.member_count == 4
        finally:
            restore()
        assert fake.chunk_requests == []  # member_count == len(members): no op 8


async def test_member_chunking_is_answered() -> None:
    async with FakeDiscord(privileged_intents=1 << 1) as fake:
        restore = point_discord_py_at(fake.api_base)
        world = build_world(fake)
        intents = discord.Intents.default()
        intents.members = True  # no presences: GUILD_CREATE is partial, discord.py chunks
        client = FastClient(intents=intents, guild_ready_timeout=0.1)
        try:
            async with running(client, fake.token, timeout=3.0):
                guild = client.get_guild(world.guild.id)
                assert guild.chunked and {m.name for m in guild.members} == {
                    "FakeBot", "owner", "alice", "bob"}
        finally:
            restore()
        assert fake.chunk_requests[0]["guild_id"] == world.guild.id
        assert fake.chunk_requests[0]["limit"] == 0


async def test_raw_gateway_protocol(fake: FakeDiscord, world: World) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{fake.gateway_url}?v=10&encoding=json") as ws:
            hello = await ws.receive_json()
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] < 60000
            await ws.send_json({"op": 1, "d": None})
            assert (await ws.receive_json())["op"] == 11
            await ws.send_json({"op": 4, "d": {}})
            assert (await ws.receive()).type == aiohttp.WSMsgType.CLOSE
            assert ws.close_code == 4003  # not authenticated
        async with http.ws_connect(fake.gateway_url) as ws:
            await ws.receive_json()
            await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1,
                                               "properties": {}}})
            await ws.receive()
            assert ws.close_code == 4004
        async with http.ws_connect(fake.gateway_url) as ws:
            await ws.receive_json()
            await ws.send_json({"op": 2, "d": {"token": fake.token, "intents": 513,
                                               "properties": {}, "shard": [1, 1]}})
            await ws.receive()
            assert ws.close_code == 4010
        async with http.ws_connect(fake.gateway_url) as ws:
            await ws.receive_json()
            await ws.send_json({"op": 6, "d": {"token": fake.token, "session_id": "nope",
                                               "seq": 1}})
            assert (await ws.receive_json()) == {"op": 9, "d": False, "s": None, "t": None}
            await ws.send_json({"op": 2, "d": {"token": fake.token, "intents": 1,
                                               "properties": {}}})
            ready = await ws.receive_json()
            create = await ws.receive_json()
            assert (ready["t"], ready["s"], create["t"], create["s"]) == (
                "READY", 1, "GUILD_CREATE", 2)
            assert create["d"]["voice_states"] == []  # no GUILD_VOICE_STATES intent
    assert [e["code"] for e in fake.take_errors()] == [4003, 4010]


async def test_privileged_intent_not_enabled_closes_4014(fake: FakeDiscord, world: World) -> None:
    intents = discord.Intents.default()
    intents.members = True
    client = FastClient(intents=intents, guild_ready_timeout=0.1)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running(client, fake.token):
            pass
    assert fake.identifies == [] and fake.identifies_rejected
    assert fake.gateway_errors[-1]["code"] == 4014


async def test_wrong_token_login_failure(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()
    assert fake.take_errors()[0]["status"] == 401


async def test_autosharded_bot_two_shards() -> None:
    async with FakeDiscord(shards=2) as fake:
        restore = point_discord_py_at(fake.api_base)
        guilds = [fake.add_guild(f"g{i}") for i in range(2)]
        for g in guilds:
            g.add_text_channel("general")
        assert {(g.id >> 22) % 2 for g in guilds} == {0, 1}
        bot = FastShardedBot(command_prefix="!", intents=discord.Intents.default(),
                             guild_ready_timeout=0.1)
        try:
            @bot.tree.command(name="where", description="Which shard?")
            async def where(inter: discord.Interaction) -> None:
                await inter.response.send_message(f"shard {inter.guild.shard_id}")

            async with running(bot, fake.token):
                assert bot.shard_count == 2
                for g in guilds:
                    assert bot.get_guild(g.id).shard_id == (g.id >> 22) % 2
                await fake.wait_for_identify(2)
                await bot.tree.sync()
                for g in guilds:
                    member = g.add_member(f"user-{g.name}")
                    handle = await fake.slash("where", user=member, guild=g)
                    final = await handle.wait_final()
                    assert final["content"] == f"shard {(g.id >> 22) % 2}"
        finally:
            restore()
        assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
        assert any(r.path == "/gateway/bot" for r in fake.requests)
        fake.assert_no_errors()


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


async def test_op7_reconnect_resumes(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    updates = Recorder()
    client.event(_voice_listener(updates))
    async with running(client, fake.token):
        await fake.send_reconnect()
        resume = await fake.wait_for_resume()
        assert resume["path"] == "/gateway-resume"
        await fake.join_voice(world.guild, world.alice, world.voice)
        await updates.wait(1)
    assert len(fake.identifies) == 1
    fake.assert_no_errors()


async def test_abrupt_drop_replays_missed_events(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    updates = Recorder()
    client.event(_voice_listener(updates))
    async with running(client, fake.token):
        await fake.drop_gateway()
        # dispatched while the client is away: buffered, replayed after RESUME
        await fake.join_voice(world.guild, world.bob, world.voice)
        await fake.wait_for_resume()
        items = await updates.wait(1)
        assert items[0] == (world.bob.id, None, world.voice.id)
    assert len(fake.identifies) == 1


async def test_op9_resumable_and_not(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    readies = Recorder()
    client.event(_ready_listener(readies))
    async with running(client, fake.token):
        await fake.invalidate_session(resumable=True)
        await fake.wait_for_resume()
        await fake.invalidate_session(resumable=False)
        ident = await fake.wait_for_identify(2)  # FastClient skips discord.py's 5 s sleep
        assert ident["intents"] == fake.identifies[0]["intents"]
        await readies.wait(2)
        assert client.get_guild(world.guild.id) is not None
    assert len(fake.sessions) == 2


async def test_voice_protocol_gets_state_and_server(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    async with running(client, fake.token):
        channel = client.get_channel(world.voice.id)
        vc = await channel.connect(cls=RecordingVoiceProtocol, timeout=5.0)
        assert fake.voice_updates[0] == {"guild_id": world.guild.id, "channel_id": world.voice.id,
                                         "self_mute": False, "self_deaf": False}
        state, server = vc.states[0], vc.servers[0]
        assert state["channel_id"] == str(world.voice.id)
        assert state["session_id"] == next(iter(fake.sessions))  # the gateway session id
        assert state["member"]["user"]["id"] == str(fake.bot_user.id)
        assert server["guild_id"] == str(world.guild.id) and server["endpoint"] and server["token"]
        await fake.wait_for_voice(world.guild, world.voice)
        assert client.get_guild(world.guild.id).me.voice.channel.id == world.voice.id
        await vc.disconnect()
        await fake.wait_for_voice(world.guild, None)
        assert fake.voice_updates[-1]["channel_id"] is None
        await fake.wait_for_dispatch("VOICE_STATE_UPDATE", lambda d: d["channel_id"] is None)
    fake.assert_no_errors()


async def test_voice_join_denied_without_connect(fake: FakeDiscord, world: World) -> None:
    world.voice.set_permissions(world.guild.me, deny=P.CONNECT)
    client = make_client()
    async with running(client, fake.token):
        with pytest.raises(asyncio.TimeoutError):
            await client.get_channel(world.voice.id).connect(cls=RecordingVoiceProtocol,
                                                             timeout=0.3)
    assert fake.voice_denied[0]["reason"] == "missing VIEW_CHANNEL/CONNECT"
    assert fake.voice_server_updates == []


async def test_member_voice_events(fake: FakeDiscord, world: World) -> None:
    second = world.guild.add_voice_channel("Lounge")
    client = make_client()
    updates = Recorder()
    client.event(_voice_listener(updates))
    async with running(client, fake.token):
        # one at a time: discord.py mutates the cached VoiceState of earlier events
        await fake.join_voice(world.guild, world.alice, world.voice)
        await updates.wait(1)
        await fake.move_voice(world.guild, world.alice, second)
        await updates.wait(2)
        await fake.leave_voice(world.guild, world.alice)
        items = await updates.wait(3)
    alice, voice = world.alice.id, world.voice.id
    assert items == [(alice, None, voice), (alice, voice, second.id), (alice, second.id, None)]


async def test_message_content_gating(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    seen = Recorder()

    @client.event
    async def on_message(message: discord.Message) -> None:
        seen.add(message)

    async with running(client, fake.token):
        await fake.user_message(world.text, world.alice, "secret")
        await fake.user_message(world.text, world.alice, f"<@{fake.bot_user.id}> hi")
        items = await seen.wait(2)
    assert items[0].content == ""  # no MESSAGE_CONTENT intent
    assert items[1].content.endswith("hi")


async def test_world_changes_after_ready_are_dispatched(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    async with running(client, fake.token):
        created = asyncio.ensure_future(client.wait_for("guild_channel_create"))
        ch = world.guild.add_text_channel("late")
        assert (await asyncio.wait_for(created, 5)).id == ch.id
        joined = asyncio.ensure_future(client.wait_for("guild_join"))
        g2 = fake.add_guild("Joined later")
        assert (await asyncio.wait_for(joined, 5)).id == g2.id
        role = asyncio.ensure_future(client.wait_for("guild_role_create"))
        r = world.guild.add_role("DJ", P.CONNECT)
        assert (await asyncio.wait_for(role, 5)).id == r.id


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


def _voice_listener(rec: Recorder):
    # discord.py mutates the VoiceState objects later: record ids at event time
    async def on_voice_state_update(member, before, after) -> None:
        rec.add((member.id, before.channel and before.channel.id,
                 after.channel and after.channel.id))

    return on_voice_state_update


def _ready_listener(rec: Recorder):
    async def on_ready() -> None:
        rec.add(True)

    return on_ready
