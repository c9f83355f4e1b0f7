"""One trace per command: interaction → bus → Lavalink and the database, its id in the logs."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan

from bot import tracing
from bot.log import setup_logging
from bot.messages import Command
from bot.settings import LoggingSettings
from tests.e2e.harness import harness
from tests.tracing_capture import Spans, SpanWaiter


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The bot's log as JSON lines."""
    out = io.StringIO()
    setup_logging(LoggingSettings(level="DEBUG", json=True), stream=out)
    yield out


def trace_hex(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.trace_id, "032x")


def named(spans: Spans, name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


async def test_play_is_one_trace_from_interaction_to_lavalink_and_database(
    tmp_path: Path, exporter: SpanWaiter, log_lines: io.StringIO
) -> None:
    """/play: the interaction, its bus handling, loadtracks, the player update and SQL share
    one trace id, and the command's log lines carry it as their correlation id."""
    async with harness(tmp_path) as h:
        h.add_tracks(1)
        await h.join()
        exporter.clear()
        await h.reply("play", query="https://example.com/t1")
        await h.playing("t1")
        spans = await exporter.wait_for(lambda s: bool(named(s, "interaction play")))
    (root,) = named(spans, "interaction play")
    trace = trace_hex(root)
    in_trace = [span for span in spans if trace_hex(span) == trace]
    names = {span.name for span in in_trace}
    assert root.parent is None
    assert "discord-bot:commands handle" in names
    assert "Lavalink GET /v4/loadtracks" in names
    assert "Lavalink PATCH /v4/sessions/{session_id}/players/{guild_id}" in names
    assert any(name.startswith("DB ") for name in names)
    (handle,) = named(in_trace, "discord-bot:commands handle")
    assert handle.parent is not None and handle.parent.span_id == root.context.span_id
    load = named(in_trace, "Lavalink GET /v4/loadtracks")[0]
    assert load.attributes is not None and load.attributes["http.response.status_code"] == 200
    records = [json.loads(line)["record"] for line in log_lines.getvalue().splitlines()]
    mine = [r for r in records if r["extra"].get("cid") == trace]
    sources = {r["name"] for r in mine}
    assert {"bot.command_tree", "cogs.audio._cog"} <= sources  # both sides of the bus
    assert any(r["message"].startswith("play by") for r in mine)


async def test_work_no_command_caused_records_no_span(tmp_path: Path, exporter: SpanWaiter) -> None:
    """Startup and background work (node connect, schema, position saves) make no traces."""
    async with harness(tmp_path) as h:
        await h.bot.bus.drain()
    assert exporter.get_finished_spans() == ()


def test_messages_carry_no_trace_context_when_tracing_is_off() -> None:
    """Off by default: no tracer, and a bus message's traceparent is None."""
    assert tracing.tracer() is None
    assert Command(guild_id=1, user_id=2).traceparent is None
