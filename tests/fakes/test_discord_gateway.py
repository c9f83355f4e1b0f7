"""FakeDiscord's gateway against a real discord.py 2.7 client: READY/GUILD_CREATE shapes,
intents, chunking, sharding, reconnect/resume/re-identify, dispatch of world changes, voice."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest

from .discord import FakeDiscord, P
from .discord_testkit import (
    FastClient,
    FastShardedBot,
    Recorder,
    RecordingVoiceProtocol,
    World,
    build_world,
    fake_discord,
    make_client,
    ready_listener,
    running,
    voice_listener,
)

PRIVILEGED = (1 << 1) | (1 << 8) | (1 << 15)


@pytest.fixture
async def fake():
    async with fake_discord() as f:
        yield f


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    return build_world(fake)


async def test_full_member_list_with_presences_intent() -> None:
    async with fake_discord(privileged_intents=PRIVILEGED) as fake:
        world = build_world(fake)
        intents = discord.Intents.default()
        intents.members = intents.presences = True
        async with running(make_client(intents), fake.token) as client:
            guild = client.get_guild(world.guild.id)
            assert guild.chunked and len(guild.members) == guild.member_count == 4
        assert fake.chunk_requests == []  # member_count == len(members): no op 8


async def test_member_chunking_is_answered() -> None:
    async with fake_discord(privileged_intents=1 << 1) as fake:
        world = build_world(fake)
        intents = discord.Intents.default()
        intents.members = True  # no presences: GUILD_CREATE is partial, discord.py chunks
        async with running(make_client(intents), fake.token, timeout=3.0) as client:
            guild = client.get_guild(world.guild.id)
            assert guild.chunked and {m.name for m in guild.members} == {
                "FakeBot", "owner", "alice", "bob"}
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


async def test_autosharded_bot_two_shards() -> None:
    async with fake_discord(shards=2) as fake:
        guilds = [fake.add_guild(f"g{i}") for i in range(2)]
        for g in guilds:
            g.add_text_channel("general")
        assert {(g.id >> 22) % 2 for g in guilds} == {0, 1}
        bot = FastShardedBot(command_prefix="!", intents=discord.Intents.default(),
                             guild_ready_timeout=0.1)

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
        assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
        assert any(r.path == "/gateway/bot" for r in fake.requests)
        fake.assert_no_errors()


async def test_op7_reconnect_resumes(fake: FakeDiscord, world: World) -> None:
    client = make_client()
    updates = Recorder()
    client.event(voice_listener(updates))
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
    client.event(voice_listener(updates))
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
    client.event(ready_listener(readies))
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
    client.event(voice_listener(updates))
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
