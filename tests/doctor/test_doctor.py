"""`python -m bot doctor` against fake Discord and fake Lavalink: every problem has its fix."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import sys
from pathlib import Path

import pytest
import yaml

from bot.doctor import CheckResult, Report
from bot.doctor.lavalink_checks import RECOMMENDED_YOUTUBE_PLUGIN, TEST_SEARCH
from tests.fakes.lavalink import FakeLavalink

from .conftest import FULL_PLUGINS, LAVALINK_PASSWORD, Setup

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_all_green_setup_exits_0_with_a_tick_per_check(setup: Setup) -> None:
    """A correct setup: every check passes and the doctor says so."""
    outcome = await setup.run()

    assert outcome.code == 0, outcome.output
    assert "✗" not in outcome.output and "fix:" not in outcome.output
    for check in (
        "Config",
        "Discord token",
        "Discord intents",
        "Lavalink 'main'",
        "Lavalink 'main' (127.0.0.1",
        "Database (sqlite)",
        "Database schema",
    ):
        assert outcome.line(check).startswith("✓"), check
    assert "logged in as FakeBot" in outcome.line("Discord token")
    assert "none privileged" in outcome.line("Discord intents")
    assert "Lavalink 4.1.1" in outcome.line("Lavalink 'main'")
    assert "youtube-plugin 1.13.5" in outcome.output
    assert "Never Gonna Give You Up by Rick Astley" in outcome.output
    assert outcome.output.rstrip().endswith("checks passed.")


async def test_test_search_is_the_documented_ytsearch_with_the_node_password(setup: Setup) -> None:
    """Lavalink sees GET /v4/loadtracks?identifier=ytsearch:... with its password."""
    await setup.run()

    searches = [r for r in setup.lavalink.requests if r.path == "/v4/loadtracks"]
    assert [r.query["identifier"] for r in searches] == [TEST_SEARCH]
    assert searches[0].headers["Authorization"] == LAVALINK_PASSWORD


async def test_wrong_lavalink_password_names_the_server_password(setup: Setup) -> None:
    """401 from Lavalink: the node password must equal lavalink.server.password."""
    setup.nodes[0]["password"] = "not-the-password"

    outcome = await setup.run()

    assert outcome.code == 1
    assert "password rejected (HTTP 401)" in outcome.line("Lavalink 'main'")
    assert "lavalink.server.password" in outcome.fix_after("Lavalink 'main'")


async def test_wrong_lavalink_port_says_nothing_listens_there(setup: Setup) -> None:
    """Connection refused: is Lavalink running, is the port right."""
    port = free_port()
    setup.nodes[0]["port"] = port

    outcome = await setup.run()

    assert outcome.code == 1
    assert f"nothing listens on 127.0.0.1:{port}" in outcome.line("Lavalink 'main'")
    fix = outcome.fix_after("Lavalink 'main'")
    assert "is Lavalink running? is the port right?" in fix


async def test_lavalink_3_is_refused_with_an_upgrade_hint(setup: Setup) -> None:
    """Lavalink 3.7.0 speaks v3: the fix is to upgrade to 4.1.x."""
    async with FakeLavalink(password=LAVALINK_PASSWORD, version="3.7.0") as old:
        setup.nodes[0]["port"] = old.port
        outcome = await setup.run()

    assert outcome.code == 1
    assert "Lavalink 3.7.0 is too old" in outcome.line("Lavalink 'main'")
    assert "upgrade to Lavalink 4.1.x" in outcome.fix_after("Lavalink 'main'")


async def test_missing_youtube_plugin_fails_with_the_dependency_to_add(setup: Setup) -> None:
    """Without the youtube plugin, YouTube goes through the broken built-in source."""
    setup.lavalink.plugins = [p for p in FULL_PLUGINS if p["name"] != "youtube-plugin"]

    outcome = await setup.run()

    assert outcome.code == 1
    assert outcome.line("Lavalink 'main' (127.0.0.1").startswith("✓")  # reachable
    assert outcome.line("Lavalink 'main'").startswith("✓")
    line = next(ln for ln in outcome.output.splitlines() if "YouTube plugin" in ln)
    assert line.startswith("✗") and "missing" in line
    fix = outcome.output.splitlines()[outcome.output.splitlines().index(line) + 1]
    assert f"dev.lavalink.youtube:youtube-plugin:{RECOMMENDED_YOUTUBE_PLUGIN}" in fix
    assert "lavalink.server.sources.youtube: false" in fix


async def test_old_youtube_plugin_gets_an_update_hint(setup: Setup) -> None:
    """An outdated youtube plugin fails with the version to update to."""
    setup.lavalink.plugins = [{"name": "youtube-plugin", "version": "1.7.2"}, *FULL_PLUGINS[1:]]

    outcome = await setup.run()

    assert outcome.code == 1
    assert "youtube-plugin 1.7.2 is outdated" in outcome.output
    assert f"update it to dev.lavalink.youtube:youtube-plugin:{RECOMMENDED_YOUTUBE_PLUGIN}" in (
        outcome.output
    )


async def test_missing_optional_plugins_warn_but_do_not_fail(setup: Setup) -> None:
    """LavaSrc, LavaSearch, SponsorBlock and lyrics are features, not requirements."""
    setup.lavalink.plugins = FULL_PLUGINS[:1]

    outcome = await setup.run()

    assert outcome.code == 0, outcome.output
    line = next(ln for ln in outcome.output.splitlines() if "other plugins" in ln)
    assert line.startswith("!")
    for label in ("LavaSrc", "LavaSearch", "SponsorBlock", "lyrics"):
        assert label in line
    assert "1 warning(s)" in outcome.output


async def test_empty_test_search_points_at_the_youtube_plugin(setup: Setup) -> None:
    """A search that finds nothing is the classic symptom of an outdated YouTube plugin."""
    setup.lavalink.catalogue = type(setup.lavalink.catalogue)()

    outcome = await setup.run()

    assert outcome.code == 1
    line = next(ln for ln in outcome.output.splitlines() if "test search" in ln)
    assert line.startswith("✗") and "found nothing" in line
    assert "update dev.lavalink.youtube:youtube-plugin" in outcome.output


async def test_default_source_without_its_lavalink_source_fails(setup: Setup) -> None:
    """guild_defaults.default_source = spotify needs LavaSrc's spotify source in Lavalink."""
    setup.extra_toml = '[guild_defaults]\ndefault_source = "spotify"'
    setup.lavalink.source_managers = ["youtube", "soundcloud", "http"]

    outcome = await setup.run()

    assert outcome.code == 1
    assert "default_source is 'spotify' but Lavalink has no spotify source" in outcome.output


async def test_wrong_discord_token_says_reset_it_in_the_portal(setup: Setup) -> None:
    """401 from Discord: reset the token in the Developer Portal."""
    setup.token = "MTIz.wrong.token"

    outcome = await setup.run()

    assert outcome.code == 1
    assert "rejected (HTTP 401)" in outcome.line("Discord token")
    fix = outcome.fix_after("Discord token")
    assert "reset it in the Developer Portal" in fix and "Reset Token" in fix


async def test_token_pasted_with_bot_prefix_is_explained(setup: Setup) -> None:
    """A token starting with 'Bot ' is a copy-paste mistake the doctor names."""
    setup.token = f"Bot {setup.discord.token}"

    outcome = await setup.run()

    assert outcome.code == 1
    assert "starts with 'Bot '" in outcome.line("Discord token")


async def test_application_id_of_another_application_fails(setup: Setup) -> None:
    """discord.application_id must be the application the token belongs to."""
    setup.discord_toml = "application_id = 42"

    outcome = await setup.run()

    assert outcome.code == 1
    line = outcome.line("Discord application id")
    assert f"token belongs to application {setup.discord.application_id}" in line
    assert f"application_id = {setup.discord.application_id}" in outcome.fix_after(
        "Discord application id"
    )


async def test_database_behind_head_without_auto_upgrade_says_run_db_upgrade(
    setup: Setup,
) -> None:
    """An empty database and auto_upgrade off: the fix is `python -m bot db upgrade`."""
    setup.database_url = f"sqlite+aiosqlite:///{setup.tmp_path / 'empty.db'}"
    setup.auto_upgrade = False

    outcome = await setup.run()

    assert outcome.code == 1
    assert "migration(s) behind the newest" in outcome.line("Database schema")
    assert "run `python -m bot db upgrade`" in outcome.fix_after("Database schema")


async def test_database_behind_head_with_auto_upgrade_passes(setup: Setup) -> None:
    """With auto_upgrade on, pending migrations are applied at start: not a problem."""
    setup.database_url = f"sqlite+aiosqlite:///{setup.tmp_path / 'empty.db'}"

    outcome = await setup.run()

    assert outcome.code == 0, outcome.output
    assert "applies them at start" in outcome.line("Database schema")


async def test_unreachable_postgresql_names_host_and_hides_password(setup: Setup) -> None:
    """Nothing on the PostgreSQL port: say so, with the URL's password masked."""
    port = free_port()
    setup.database_url = f"postgresql+asyncpg://bot:db-secret-pw-77@127.0.0.1:{port}/musicbot"

    outcome = await setup.run()

    assert outcome.code == 1
    assert f"nothing listens on 127.0.0.1:{port}" in outcome.line("Database (postgresql)")
    assert "is PostgreSQL running?" in outcome.fix_after("Database (postgresql)")
    assert "db-secret-pw-77" not in outcome.output


async def test_invalid_config_is_a_failed_check_naming_the_key(setup: Setup) -> None:
    """A ConfigError stops the doctor after the config check, with the key named."""
    setup.extra_toml = "volum = 3"

    outcome = await setup.run()

    assert outcome.code == 1
    assert outcome.line("Config").startswith("✗")
    assert "volum: unknown key" in outcome.line("Config")
    assert len(outcome.output.splitlines()) == 4  # header, check, fix, summary


async def test_cli_runs_the_doctor_and_returns_its_exit_code(setup: Setup) -> None:
    """`python -m bot --config config.toml doctor` as a self-hoster types it."""
    config = setup.write_config()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(config),
        "doctor",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    text = output.decode()

    assert process.returncode == 0, text
    assert "✓ Discord token: accepted" in text
    assert text.rstrip().endswith("checks passed.")
    assert setup.discord.token not in text and LAVALINK_PASSWORD not in text


def test_report_falls_back_to_ascii_marks() -> None:
    """A terminal that cannot print ✓/✗ gets OK/FAIL."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    report = Report(out)
    report.add(CheckResult.fail("Thing", "broken", "mend it"))
    out.flush()
    out.seek(0)
    assert out.read().splitlines() == ["FAIL Thing: broken", "    fix: mend it"]


def test_recommended_youtube_plugin_is_the_one_lavalink_config_pins() -> None:
    """The doctor's update hint and lavalink/application.yml name the same version."""
    config = yaml.safe_load((ROOT / "lavalink" / "application.yml").read_text())
    dependencies = [p["dependency"] for p in config["lavalink"]["plugins"]]
    assert f"dev.lavalink.youtube:youtube-plugin:{RECOMMENDED_YOUTUBE_PLUGIN}" in dependencies


@pytest.mark.skipif(
    os.environ.get("TEST_SKIP_POSTGRES") == "1", reason="TEST_SKIP_POSTGRES=1: no PostgreSQL"
)
async def test_missing_postgresql_database_says_how_to_create_it(setup: Setup) -> None:
    """The local PostgreSQL answers but the database named in the URL does not exist."""
    setup.database_url = "postgresql+asyncpg://postgres@127.0.0.1:5432/no_such_music_db"

    outcome = await setup.run()

    assert outcome.code == 1
    line = outcome.line("Database (postgresql)")
    assert "the database 'no_such_music_db' does not exist" in line
    assert "createdb -O postgres no_such_music_db" in outcome.fix_after("Database (postgresql)")


async def test_a_crashing_check_is_reported_and_the_others_still_run(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error in one group is a failed check, not a traceback."""

    async def explode(*_args: object) -> list[CheckResult]:
        raise RuntimeError("surprise")

    monkeypatch.setattr("bot.doctor.checkup.check_lavalink", explode)

    outcome = await setup.run()

    assert outcome.code == 1
    assert "Lavalink: the check itself failed: RuntimeError: surprise" in outcome.output
    assert outcome.line("Database schema").startswith("✓")
