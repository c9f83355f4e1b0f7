"""A command's trace crosses Redis: the owning process continues the caller's trace."""

from __future__ import annotations

from bot import audio_commands as ac
from bot import tracing
from bot.bus import Channel
from tests.redis.conftest import BusFactory, guild_on
from tests.tracing_capture import SpanWaiter


async def test_the_owner_handles_a_command_inside_the_callers_trace(
    make_bus: BusFactory, exporter: SpanWaiter
) -> None:
    """Process 0 sends inside an interaction span; process 1's handle span is its child."""
    bus0, bus1 = await make_bus(0), await make_bus(1)
    seen: list[str | None] = []

    async def handle(command: ac.SetVolume) -> str:
        seen.append(tracing.current_traceparent())
        return "ok"

    bus1.serve(Channel.COMMANDS, handle)
    root = tracing.start_root_span("interaction volume", {})
    assert root is not None
    command = ac.SetVolume(guild_id=guild_on(1), user_id=7, voice_channel_id=9, level=50)
    assert await bus0.request(Channel.COMMANDS, command, timeout=2) == "ok"
    tracing.end_span(root)
    await bus1.settle()
    (handled,) = [s for s in exporter.get_finished_spans() if s.name.endswith("handle")]
    assert handled.context is not None and handled.parent is not None
    assert handled.context.trace_id == root.get_span_context().trace_id
    assert handled.parent.span_id == root.get_span_context().span_id
    trace_hex = format(root.get_span_context().trace_id, "032x")
    assert seen and seen[0] is not None and trace_hex in seen[0]
