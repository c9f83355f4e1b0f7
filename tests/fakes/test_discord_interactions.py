"""FakeDiscord interactions against real discord.py app_commands and views: slash commands,
responses, defer/follow-up/edit, components, autocomplete, modals and Discord's errors."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest
from discord import app_commands

from .discord import FakeDiscord
from .discord_testkit import FastClient, World, build_world, fake_discord, make_client, running


@pytest.fixture
async def fake():
    async with fake_discord() as f:
        yield f


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    return build_world(fake)


@pytest.fixture
def client() -> FastClient:
    return make_client()


@pytest.fixture
def tree(client: FastClient) -> app_commands.CommandTree:
    return app_commands.CommandTree(client)


async def test_slash_ephemeral_reply(fake: FakeDiscord, world: World, client, tree) -> None:
    seen: dict[str, object] = {}

    @tree.command(name="volume", description="Set the volume")
    async def volume(inter: discord.Interaction, level: app_commands.Range[int, 0, 100],
                     who: discord.Member | None = None) -> None:
        seen.update(level=level, who=who, user=inter.user, channel=inter.channel)
        await inter.response.send_message(f"volume {level}", ephemeral=True)

    async with running(client, fake.token):
        synced = await tree.sync(guild=None)
        handle = await fake.slash("volume", user=world.alice, channel=world.text,
                                  options={"level": 42, "who": world.bob})
        resp = await handle.wait_response()
    payload = handle.payload
    for key in ("id", "type", "token", "version", "application_id", "attachment_size_limit",
                "member", "guild_id", "channel_id", "channel", "app_permissions", "locale",
                "guild_locale", "entitlements"):
        assert key in payload, key
    assert payload["data"]["id"] == str(synced[0].id)
    assert payload["data"]["options"][0] == {"name": "level", "type": 4, "value": 42}
    assert seen["level"] == 42 and seen["who"].id == world.bob.id
    assert seen["user"].id == world.alice.id and seen["channel"].id == world.text.id
    assert resp.kind == "callback" and resp.type == 4 and resp.data["data"]["flags"] == 64
    final = handle.final_message()
    assert final["content"] == "volume 42" and final["ephemeral"] and final["flags"] == 64
    assert final["interaction_metadata"]["user"]["id"] == str(world.alice.id)
    assert fake.messages.get(world.text.id, []) == []  # ephemeral: not in the channel
    fake.assert_no_errors()


async def test_defer_followups_and_edit_original(fake: FakeDiscord, world: World, client,
                                                 tree) -> None:
    @tree.command(name="search", description="Search")
    async def search(inter: discord.Interaction, query: str) -> None:
        await inter.response.defer(thinking=True)
        first = await inter.followup.send(f"results for {query}", wait=True)
        second = await inter.followup.send("page 2", wait=True)
        await inter.edit_original_response(content="edited results")
        await second.edit(content="page 2 (edited)")
        assert first.id != second.id

    async with running(client, fake.token):
        await tree.sync()
        handle = await fake.slash("search", user=world.bob, options={"query": "lofi"})
        assert (await handle.wait_response()).type == 5
        final = await handle.wait_final(lambda m: m["content"] == "edited results")
        await handle.wait_followups(2)
        await handle.wait_for(lambda h: len(h.responses) == 5, what="5 responses")
    assert [r.kind for r in handle.responses] == [
        "callback", "followup", "followup", "edit_original", "edit_followup"]
    # the first follow-up after a thinking defer fills the deferred message
    assert handle.responses[1].message["id"] == final["id"] and not final["ephemeral"]
    assert [m["content"] for m in handle.followup_messages()] == ["page 2 (edited)"]
    assert [m["content"] for m in fake.messages[world.text.id]] == [
        "edited results", "page 2 (edited)"]
    fake.assert_no_errors()


async def test_ephemeral_defer_makes_first_followup_ephemeral(fake: FakeDiscord, world: World,
                                                              client, tree) -> None:
    @tree.command(name="queue", description="Show the queue")
    async def queue(inter: discord.Interaction) -> None:
        await inter.response.defer(ephemeral=True, thinking=True)
        await inter.followup.send("the queue")

    async with running(client, fake.token):
        await tree.sync()
        handle = await fake.slash("queue", user=world.alice)
        final = await handle.wait_final()
    assert final["content"] == "the queue" and final["ephemeral"]
    assert handle.followup_messages() == []


class Controls(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.clicks: list[tuple[str, int]] = []

    @discord.ui.button(label="Pause", custom_id="ctl:pause", style=discord.ButtonStyle.primary)
    async def pause(self, inter: discord.Interaction, button: discord.ui.Button) -> None:
        self.clicks.append(("pause", inter.user.id))
        button.label = "Resume"
        await inter.response.edit_message(content="paused", view=self)

    @discord.ui.button(label="Skip", custom_id="ctl:skip")
    async def skip(self, inter: discord.Interaction, button: discord.ui.Button) -> None:
        self.clicks.append(("skip", inter.user.id))
        await inter.response.defer()
        await inter.edit_original_response(content="skipped")

    @discord.ui.select(custom_id="ctl:pick", options=[
        discord.SelectOption(label="One", value="1"), discord.SelectOption(label="Two", value="2")])
    async def pick(self, inter: discord.Interaction, select: discord.ui.Select) -> None:
        self.clicks.append((f"pick:{','.join(select.values)}", inter.user.id))
        await inter.response.send_message(f"picked {select.values[0]}", ephemeral=True)


async def test_view_buttons_and_select(fake: FakeDiscord, world: World, client, tree) -> None:
    view = Controls()

    @tree.command(name="np", description="Now playing")
    async def np(inter: discord.Interaction) -> None:
        await inter.response.send_message("playing", view=view)

    async with running(client, fake.token):
        await tree.sync()
        handle = await fake.slash("np", user=world.alice)
        await handle.wait_response()
        msg = handle.final_message()
        assert [c["custom_id"] for c in msg["components"][0]["components"]] == [
            "ctl:pause", "ctl:skip"]
        click = await fake.click(msg, "ctl:pause", user=world.bob)
        resp = await click.wait_response()
        assert resp.type == 7 and view.clicks == [("pause", world.bob.id)]
        updated = fake.message(msg["id"])
        assert updated["content"] == "paused"
        assert updated["components"][0]["components"][0]["label"] == "Resume"
        skip = await fake.click(msg, "ctl:skip", user=world.alice)
        assert (await skip.wait_response()).type == 6
        await skip.wait_final(lambda m: m["content"] == "skipped")
        pick = await fake.click(msg, "ctl:pick", user=world.alice, values=["2"])
        assert (await pick.wait_final())["content"] == "picked 2"
        with pytest.raises(LookupError):
            await fake.click(msg, "nope", user=world.alice)
        with pytest.raises(ValueError):
            await fake.click(msg, "ctl:pick", user=world.alice, values=["3"])
    assert [c[0] for c in view.clicks] == ["pause", "skip", "pick:2"]
    fake.assert_no_errors()


async def test_click_on_channel_message_view(fake: FakeDiscord, world: World, client) -> None:
    view = Controls()
    async with running(client, fake.token):
        sent = await client.get_channel(world.text.id).send("controller", view=view)
        stored = fake.messages[world.text.id][-1]
        assert stored["id"] == str(sent.id)
        click = await fake.click(stored, "ctl:pause", user=world.alice)
        await click.wait_response()
    assert view.clicks == [("pause", world.alice.id)]


async def test_autocomplete_choices(fake: FakeDiscord, world: World, client, tree) -> None:
    @tree.command(name="play", description="Play")
    async def play(inter: discord.Interaction, query: str, loud: bool = False) -> None:
        await inter.response.send_message(query)

    @play.autocomplete("query")
    async def query_ac(inter: discord.Interaction, current: str):
        assert inter.namespace.loud is True
        return [app_commands.Choice(name=f"{current} {i}", value=f"{current}-{i}")
                for i in range(3)]

    async with running(client, fake.token):
        await tree.sync()
        choices = await fake.autocomplete("play", "query", "lofi", options={"loud": True},
                                          user=world.alice, guild=world.guild)
        with pytest.raises(ValueError):
            await fake.autocomplete("play", "loud", True, user=world.alice, guild=world.guild)
    assert choices == [{"name": f"lofi {i}", "value": f"lofi-{i}"} for i in range(3)]
    fake.assert_no_errors()


async def test_subcommands_and_user_errors(fake: FakeDiscord, world: World, client,
                                           tree) -> None:
    group = app_commands.Group(name="playlist", description="Playlists")
    got: list[str] = []

    @group.command(name="add", description="Add")
    async def add(inter: discord.Interaction, name: str) -> None:
        got.append(name)
        await inter.response.send_message("added")

    tree.add_command(group)
    async with running(client, fake.token):
        await tree.sync()
        handle = await fake.slash("playlist", subcommand="add", user=world.alice,
                                  options={"name": "mix"})
        await handle.wait_final()
        with pytest.raises(ValueError, match="subcommand"):
            await fake.slash("playlist", user=world.alice)
        with pytest.raises(ValueError, match="required"):
            await fake.slash("playlist", subcommand="add", user=world.alice)
        with pytest.raises(LookupError, match="not synced"):
            await fake.slash("nosuch", user=world.alice)
    assert got == ["mix"]
    opts = handle.payload["data"]["options"]
    assert opts == [{"type": 1, "name": "add", "options": [
        {"name": "name", "type": 3, "value": "mix"}]}]


async def test_modal_round_trip(fake: FakeDiscord, world: World, client, tree) -> None:
    submitted: list[str] = []

    class AddSong(discord.ui.Modal, title="Add a song"):
        url = discord.ui.TextInput(label="URL", custom_id="song-url")

        async def on_submit(self, inter: discord.Interaction) -> None:
            submitted.append(self.url.value)
            await inter.response.send_message("queued", ephemeral=True)

    @tree.command(name="add", description="Add a song")
    async def add(inter: discord.Interaction) -> None:
        await inter.response.send_modal(AddSong())

    async with running(client, fake.token):
        await tree.sync()
        handle = await fake.slash("add", user=world.alice)
        assert (await handle.wait_response()).type == 9
        sub = await fake.submit_modal(handle, {"song-url": "https://x/y"})
        assert (await sub.wait_final())["content"] == "queued"
    assert submitted == ["https://x/y"]
    fake.assert_no_errors()


async def test_too_long_content_and_double_ack(fake: FakeDiscord, world: World, client,
                                               tree) -> None:
    outcome: dict[str, BaseException] = {}

    @tree.command(name="long", description="too long")
    async def long(inter: discord.Interaction) -> None:
        try:
            await inter.response.send_message("x" * 2001)
        except discord.HTTPException as exc:
            outcome["long"] = exc
        await inter.response.send_message("short")
        try:  # a second responder (e.g. another listener) answering the same interaction
            await discord.InteractionResponse(inter).send_message("again")
        except discord.HTTPException as exc:
            outcome["twice"] = exc

    async with running(client, fake.token):
        await tree.sync()
        handle = await fake.slash("long", user=world.alice)
        await handle.wait_final()
        await handle.wait_for(lambda h: len(h.rejected) == 2, what="two rejections")
    assert outcome["long"].status == 400 and outcome["long"].code == 50035
    assert outcome["twice"].status == 400 and outcome["twice"].code == 40060
    assert handle.final_message()["content"] == "short"
    assert [e["code"] for e in fake.take_errors()] == [50035, 40060]


async def test_callback_rules_at_the_http_level(fake: FakeDiscord, world: World, client,
                                                tree) -> None:
    release = asyncio.Event()

    @tree.command(name="wait", description="waits")
    async def wait(inter: discord.Interaction) -> None:
        await release.wait()

    async with running(client, fake.token), aiohttp.ClientSession() as http:
        await tree.sync()
        handle = await fake.slash("wait", user=world.alice)
        base = f"{fake.api_base}/interactions/{handle.id}/{handle.token}/callback"
        followup = f"{fake.api_base}/webhooks/{fake.application_id}/{handle.token}?wait=true"
        async with http.post(followup, json={"content": "too early"}) as r:
            assert r.status == 404 and (await r.json())["code"] == 10015
        async with http.post(f"{base}?with_response=true", json={"type": 8,
                                                                  "data": {"choices": []}}) as r:
            assert r.status == 400 and r.headers["Content-Type"] == "application/json"
        async with http.post(f"{base}?with_response=true", json={"type": 6}) as r:
            assert r.status == 400  # deferred update needs a component interaction
        async with http.post(base, json={"type": 5}) as r:
            assert r.status == 204  # without with_response Discord answers 204
        release.set()
    assert [e["status"] for e in fake.take_errors()] == [404, 400, 400]


async def test_initial_response_deadline(fake: FakeDiscord, world: World, client, tree) -> None:
    fake.interaction_deadline = 0.1
    errors: list[discord.HTTPException] = []

    @tree.command(name="slow", description="too slow")
    async def slow(inter: discord.Interaction) -> None:
        await asyncio.sleep(0.2)
        try:
            await inter.response.send_message("late")
        except discord.NotFound as exc:
            errors.append(exc)

    async with running(client, fake.token):
        await tree.sync()
        handle = await fake.slash("slow", user=world.alice)
        await handle.wait_for(lambda h: h.rejected, what="rejection")
    assert errors[0].code == 10062
    assert fake.take_errors()[0]["message"] == "Unknown interaction"
