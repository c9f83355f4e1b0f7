"""OpenTelemetry for the whole process: one tracer, off unless an OTLP endpoint is configured.

A trace is one command: its root span is the interaction (or the API request),
and its trace id is the command's correlation id, so a log line's id finds the
trace. The root's context rides on every bus message the command causes
(`BusMessage.traceparent`, W3C `traceparent` text, so it crosses Redis too);
the side that handles the message continues it in a child span. Lavalink
requests and SQL statements get child spans, but only inside a trace: work no
command caused (position saves, node health checks) records nothing.

Off (the default) means no provider, no exporter, and each hook costs one
`is None` check. The SDK is an optional dependency (`pip install .[tracing]`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from bot.settings import ConfigError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

__all__ = [
    "SERVICE_NAME",
    "continue_trace",
    "current_traceparent",
    "end_span",
    "install",
    "otlp_provider",
    "start",
    "start_child_span",
    "start_root_span",
    "stop",
    "trace_id",
    "traced",
    "tracer",
    "uninstall",
]

SERVICE_NAME = "discord-music-bot"
EXPORT_TIMEOUT_S = 5
T = TypeVar("T")

_tracer: Tracer | None = None
_NO_SPAN = contextlib.nullcontext()


def otlp_provider(endpoint: str | None) -> TracerProvider | None:
    """A provider exporting to `endpoint` over OTLP/HTTP, or None when tracing is off."""
    if not endpoint:
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise ConfigError(
            "observability.otlp_endpoint is set but OpenTelemetry is not installed: "
            "pip install 'discord-music-bot[tracing]'"
        ) from None
    from bot.version import __version__

    provider = TracerProvider(
        resource=Resource.create({"service.name": SERVICE_NAME, "service.version": __version__})
    )
    exporter = OTLPSpanExporter(
        endpoint=endpoint.rstrip("/") + "/v1/traces", timeout=EXPORT_TIMEOUT_S
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def start(endpoint: str | None) -> TracerProvider | None:
    """Trace to `endpoint` from now on; None (and nothing installed) when it is unset."""
    provider = otlp_provider(endpoint)
    if provider is not None:
        install(provider)
    return provider


async def stop(provider: TracerProvider | None) -> None:
    """Stop tracing with `provider` and export the spans it still holds."""
    if provider is None:
        return
    uninstall()
    # Blocking (an HTTP export), so off the event loop.
    await asyncio.to_thread(provider.shutdown)


def install(provider: TracerProvider) -> None:
    """Record spans with `provider` from now on (one per process; tests install their own)."""
    global _tracer
    _tracer = provider.get_tracer("bot")


def uninstall() -> None:
    """Stop recording spans."""
    global _tracer
    _tracer = None


def tracer() -> Tracer | None:
    """The process's tracer, or None when tracing is off."""
    return _tracer


def start_root_span(name: str, attributes: Mapping[str, Any]) -> Span | None:
    """Start a new trace whose root span is current for the rest of the running task.

    For an interaction, whose start and end are in different callbacks of one
    task: the caller ends it with `end_span`. None when tracing is off.
    """
    if _tracer is None:
        return None
    from opentelemetry import context, trace
    from opentelemetry.trace import SpanKind

    span = _tracer.start_span(
        name, context=context.Context(), kind=SpanKind.SERVER, attributes=dict(attributes)
    )
    # Not detached: the task ends with the interaction, and its context with it.
    context.attach(trace.set_span_in_context(span))
    return span


def end_span(span: Span | None, *, failed: bool = False) -> None:
    """End a span from `start_root_span`, marked failed or not."""
    if span is None:
        return
    if failed:
        from opentelemetry.trace import StatusCode

        span.set_status(StatusCode.ERROR)
    span.end()


def trace_id(span: Span | None) -> str | None:
    """The span's trace id as 32 hex digits (a correlation id), or None."""
    return format(span.get_span_context().trace_id, "032x") if span is not None else None


def _in_trace() -> bool:
    from opentelemetry import trace

    return trace.get_current_span().is_recording()


def current_traceparent() -> str | None:
    """The current span as a W3C `traceparent`, for a bus message; None outside a trace."""
    if _tracer is None or not _in_trace():
        return None
    from opentelemetry.propagate import inject

    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get("traceparent")


def start_child_span(name: str, attributes: Mapping[str, Any]) -> Span | None:
    """A client span under the current one (a Lavalink call, a SQL statement), or None
    outside a trace; for hooks whose start and end are separate calls: end it with `end_span`."""
    if _tracer is None or not _in_trace():
        return None
    from opentelemetry.trace import SpanKind

    return _tracer.start_span(name, kind=SpanKind.CLIENT, attributes=dict(attributes))


def continue_trace(
    traceparent: str | None, name: str, attributes: Mapping[str, Any] | None = None
) -> contextlib.AbstractContextManager[None]:
    """Handle a bus message in a span under its sender's (`traceparent`); nothing without one."""
    if _tracer is None or traceparent is None:
        return _NO_SPAN  # shared and reusable: the common case costs no generator
    return _continued(_tracer, traceparent, name, attributes or {})


@contextlib.contextmanager
def _continued(
    tracer: Tracer, traceparent: str, name: str, attributes: Mapping[str, Any]
) -> Iterator[None]:
    from opentelemetry.propagate import extract
    from opentelemetry.trace import SpanKind

    with tracer.start_as_current_span(
        name,
        context=extract({"traceparent": traceparent}),
        kind=SpanKind.CONSUMER,
        attributes=dict(attributes),
    ):
        yield


def traced(
    work: Coroutine[Any, Any, T], traceparent: str | None, name: str
) -> Coroutine[Any, Any, T]:
    """`work` run in a `continue_trace` span; `work` itself when there is nothing to trace."""
    if _tracer is None or traceparent is None:
        return work

    async def run() -> T:
        with continue_trace(traceparent, name):
            return await work

    return run()
