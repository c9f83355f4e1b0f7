"""Discord's limits as the fake validates them, plus the standalone fake (subprocess)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from .discord_commands import validate_command_list
from .discord_validate import (
    FormErrors,
    validate_components,
    validate_embeds,
    validate_message,
)

ROOT = Path(__file__).resolve().parents[2]


def codes(errs: FormErrors) -> list[tuple[tuple, str]]:
    return [(p, c) for p, c, _ in errs.items]


def cmd(**kw):
    return {"name": "play", "description": "Play", "type": 1, **kw}


def opt(name: str, otype: int = 3, **kw):
    return {"name": name, "description": "d", "type": otype, **kw}


@pytest.mark.parametrize("payload, expected", [
    ([cmd()], []),
    ([cmd(name="Play")], [((0, "name"), "APPLICATION_COMMAND_INVALID_NAME")]),
    ([cmd(name="has space")], [((0, "name"), "APPLICATION_COMMAND_INVALID_NAME")]),
    ([cmd(name="x" * 33)], [((0, "name"), "APPLICATION_COMMAND_INVALID_NAME")]),
    ([cmd(description="")], [((0, "description"), "BASE_TYPE_BAD_LENGTH")]),
    ([cmd(description="d" * 101)], [((0, "description"), "BASE_TYPE_BAD_LENGTH")]),
    ([cmd(options=[opt(f"o{i}") for i in range(26)])],
     [((0, "options"), "BASE_TYPE_MAX_LENGTH")]),
    ([cmd(options=[opt("a"), opt("b", required=True)])],
     [((0, "options", 1, "required"), "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID")]),
    ([cmd(options=[opt("a", choices=[{"name": str(i), "value": str(i)} for i in range(26)])])],
     [((0, "options", 0, "choices"), "BASE_TYPE_MAX_LENGTH")]),
    ([cmd(options=[opt("a", 4, choices=[{"name": "x", "value": "x"}])])],
     [((0, "options", 0, "choices", 0, "value"), "NUMBER_TYPE_COERCE")]),
    ([cmd(options=[opt("a", autocomplete=True, choices=[{"name": "x", "value": "x"}])])],
     [((0, "options", 0, "autocomplete"), "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID")]),
    ([cmd(options=[opt("sub", 1), opt("a")])],
     [((0, "options"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID")]),
    ([cmd(options=[opt("g", 2, options=[opt("s", 1, options=[opt("x", 1)])])])],
     [((0, "options", 0, "options", 0, "options", 0, "type"),
       "APPLICATION_COMMAND_OPTION_TYPE_INVALID")]),
    ([cmd(), cmd()], [((1, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME")]),
    ([cmd(options=[opt("a"), opt("a")])],
     [((0, "options", 1, "name"), "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS")]),
    ([{"name": "Add To Queue", "type": 3, "description": ""}], []),
    # Localizations: Discord's locales only, each value following the rules of its field.
    ([cmd(name_localizations={"de": "abspielen", "es-ES": "reproducir"},
          description_localizations={"fr": "Jouer"})], []),
    ([cmd(name_localizations=None, description_localizations=None)], []),
    ([cmd(name_localizations={"german": "abspielen"})],
     [((0, "name_localizations", "german"), "BASE_TYPE_CHOICES")]),
    ([cmd(name_localizations={"de": "Abspielen"})],
     [((0, "name_localizations", "de"), "APPLICATION_COMMAND_INVALID_NAME")]),
    ([cmd(description_localizations={"de": "d" * 101})],
     [((0, "description_localizations", "de"), "BASE_TYPE_BAD_LENGTH")]),
    ([cmd(options=[opt("a", name_localizations={"fr": "un nom"})])],
     [((0, "options", 0, "name_localizations", "fr"), "APPLICATION_COMMAND_INVALID_NAME")]),
    ([cmd(options=[opt("a", choices=[{"name": "x", "value": "x",
                                      "name_localizations": {"de": ""}}])])],
     [((0, "options", 0, "choices", 0, "name_localizations", "de"), "BASE_TYPE_BAD_LENGTH")]),
    # The 4000-character budget counts the longest localization of each field.
    ([cmd(options=[opt(f"o{i}", description_localizations={"de": "d" * 100}, choices=[
        {"name": "c", "value": "c", "name_localizations": {"de": "c" * 100}}] * 3)
        for i in range(25)])],
     [((0,), "APPLICATION_COMMAND_TOO_LARGE")]),
])
def test_command_validation(payload, expected) -> None:
    assert codes(validate_command_list(payload)) == expected


def test_error_body_shape() -> None:
    errs = validate_command_list([cmd(description="")])
    assert errs.body() == {"code": 50035, "message": "Invalid Form Body", "errors": {"0": {
        "description": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH",
                                     "message": "Must be between 1 and 100 in length."}]}}}}


@pytest.mark.parametrize("embed, path", [
    ({"title": "t" * 257}, (0, "title")),
    ({"description": "d" * 4097}, (0, "description")),
    ({"fields": [{"name": "n", "value": "v"}] * 26}, (0, "fields")),
    ({"fields": [{"name": "n" * 257, "value": "v"}]}, (0, "fields", 0, "name")),
    ({"fields": [{"name": "n", "value": "v" * 1025}]}, (0, "fields", 0, "value")),
    ({"fields": [{"name": "n", "value": ""}]}, (0, "fields", 0, "value")),
    ({"footer": {"text": "f" * 2049}}, (0, "footer", "text")),
    ({"author": {"name": "a" * 257}}, (0, "author", "name")),
    ({"color": 0x1000000}, (0, "color")),
])
def test_embed_limits(embed, path) -> None:
    errs = FormErrors()
    validate_embeds(errs, (), [embed])
    assert [p for p, _, _ in errs.items] == [path]


def test_embed_totals() -> None:
    errs = FormErrors()
    validate_embeds(errs, (), [{"description": "x" * 3000}, {"description": "y" * 3001}])
    assert codes(errs) == [((), "MAX_EMBED_SIZE_EXCEEDED")]
    errs = FormErrors()
    validate_embeds(errs, (), [{"title": "t"}] * 11)
    assert codes(errs) == [((), "BASE_TYPE_MAX_LENGTH")]


def button(cid: str, **kw):
    return {"type": 2, "style": 1, "label": "b", "custom_id": cid, **kw}


def row(*components):
    return {"type": 1, "components": list(components)}


@pytest.mark.parametrize("components, path", [
    ([row(button("a"))] * 0 + [row(button(f"r{i}")) for i in range(6)], ()),
    ([row(*[button(f"b{i}") for i in range(6)])], (0, "components")),
    ([row()], (0, "components")),
    ([row(button("x" * 101))], (0, "components", 0, "custom_id")),
    ([row(button("a"), button("a"))], (0, "components", 1, "custom_id")),
    ([row(button("a", label=None))], (0, "components", 0)),
    ([row({"type": 2, "style": 5, "label": "l", "custom_id": "c", "url": "https://x"})],
     (0, "components", 0, "custom_id")),
    ([row({"type": 3, "custom_id": "s", "options": [
        {"label": str(i), "value": str(i)} for i in range(26)]})],
     (0, "components", 0, "options")),
    ([row({"type": 3, "custom_id": "s", "options": [{"label": "a", "value": "a"}]},
          button("b"))], (0, "components")),
    ([button("a")], (0, "type")),
])
def test_component_limits(components, path) -> None:
    errs = FormErrors()
    validate_components(errs, (), components, 0)
    assert path in [p for p, _, _ in errs.items]


def test_message_content_and_v2_flag() -> None:
    errs = FormErrors()
    validate_message(errs, ("data",), {"content": "x" * 2001})
    assert codes(errs) == [(("data", "content"), "BASE_TYPE_MAX_LENGTH")]
    errs = FormErrors()
    validate_message(errs, (), {"content": "x" * 2000, "embeds": [], "components": []})
    assert not errs
    errs = FormErrors()
    validate_message(errs, (), {"content": "hi", "flags": 1 << 15,
                                "components": [{"type": 10, "content": "text"}]})
    assert codes(errs) == [(("content",), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2")]


async def test_standalone_server_and_control_api() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.discord", "--port", "0", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        settings: dict[str, str] = {}
        while "BOT_DISCORD__APPLICATION_ID" not in settings:
            line = (await asyncio.wait_for(proc.stdout.readline(), 15)).decode()
            assert line, (await proc.stderr.read()).decode()
            if "=" in line and not line.startswith("#"):
                key, _, value = line.strip().partition("=")
                settings[key] = value
        api = settings["BOT_DISCORD__API_BASE"]
        base = api.removesuffix("/api/v10")
        assert api == f"http://127.0.0.1:{settings['FAKE_DISCORD_PORT']}/api/v10"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{api}/gateway") as r:
                assert r.headers["Content-Type"] == "application/json"
                assert (await r.json())["url"].endswith("/gateway")
            async with http.get(f"{api}/users/@me", headers={
                    "Authorization": f"Bot {settings['BOT_DISCORD__TOKEN']}"}) as r:
                assert (await r.json())["bot"] is True
            async with http.get(f"{base}/_control/world") as r:
                world = await r.json()
            guild = world["guilds"][0]
            voice = next(c for c in guild["channels"] if c["type"] == 2)
            alice = next(m for m in guild["members"] if m["name"] == "alice")
            async with http.post(f"{base}/_control/voice", json={
                    "guild_id": guild["id"], "user_id": alice["id"],
                    "channel_id": voice["id"]}) as r:
                assert r.status == 200
            async with http.post(f"{base}/_control/slash", json={
                    "name": "play", "guild_id": guild["id"], "user_id": alice["id"]}) as r:
                assert r.status == 400 and "not synced" in (await r.json())["error"]
            async with http.get(f"{base}/_control/requests") as r:
                assert [q["path"] for q in await r.json()] == ["/gateway", "/users/@me"]
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
