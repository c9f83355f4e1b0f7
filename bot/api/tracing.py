"""A span per API request: the root of its trace, or a child of the caller's `traceparent`.

The request's trace id becomes its correlation id, so the id in the logs (on
both sides of the bus) finds the trace. The tracer is the process's
(`bot.tracing`); without one (tracing off) nothing is recorded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer


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


def finish_span(span: Span | None, status: int) -> None:
    """Record the response status; a 5xx marks the span as failed."""
    if span is None:
        return
    from opentelemetry.trace import StatusCode

    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(StatusCode.ERROR)
