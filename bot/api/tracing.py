"""OpenTelemetry spans for API requests, exported over OTLP/HTTP when `api.otlp_endpoint` is set.

Off (no provider, no cost) unless an endpoint is configured. A request's span
continues a caller's `traceparent`, and its trace id becomes the request's
correlation id, so the id in the logs (on both sides of the bus) finds the
trace. The SDK is an optional dependency (`pip install .[tracing]`); without
it, an endpoint in the settings is refused at start with a message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from bot.settings import ConfigError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

    from bot.settings import ApiSettings

SERVICE_NAME = "discord-music-bot"
EXPORT_TIMEOUT_S = 5


def tracer_provider(settings: ApiSettings) -> TracerProvider | None:
    """A provider exporting to `api.otlp_endpoint`, or None when tracing is off."""
    if not settings.otlp_endpoint:
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise ConfigError(
            "api.otlp_endpoint is set but OpenTelemetry is not installed: "
            "pip install 'discord-music-bot[tracing]'"
        ) from None
    from bot.version import __version__

    provider = TracerProvider(
        resource=Resource.create({"service.name": SERVICE_NAME, "service.version": __version__})
    )
    exporter = OTLPSpanExporter(
        endpoint=settings.otlp_endpoint.rstrip("/") + "/v1/traces", timeout=EXPORT_TIMEOUT_S
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def tracer_of(provider: TracerProvider | None) -> Tracer | None:
    """The API's tracer from `provider`, or None."""
    return provider.get_tracer("bot.api") if provider is not None else None


@contextlib.contextmanager
def request_span(
    tracer: Tracer | None, headers: Mapping[str, str], method: str, route: str, path: str
) -> Iterator[Span | None]:
    """A server span for one request (a child of the caller's `traceparent`), or None."""
    if tracer is None:
        yield None
        return
    from opentelemetry.propagate import extract
    from opentelemetry.trace import SpanKind

    with tracer.start_as_current_span(
        f"{method} {route}",
        context=extract(dict(headers)),
        kind=SpanKind.SERVER,
        attributes={"http.request.method": method, "http.route": route, "url.path": path},
    ) as span:
        yield span


def trace_id(span: Span | None) -> str | None:
    """The span's trace id as 32 hex digits (the request's correlation id), or None."""
    return format(span.get_span_context().trace_id, "032x") if span is not None else None


def finish_span(span: Span | None, status: int) -> None:
    """Record the response status; a 5xx marks the span as failed."""
    if span is None:
        return
    from opentelemetry.trace import StatusCode

    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(StatusCode.ERROR)
