"""Timing of every SQL statement: slow ones are logged, failures counted, traced ones spanned.

Only the statement text is ever logged (or put on a span), never its
parameters: those hold user data and, on a bad day, secrets. A statement run
for a traced command gets a client span (`bot.tracing`); SQLAlchemy runs the
driver in a greenlet that shares the caller's context, so the span finds its
parent.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from loguru import logger
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext

from bot import tracing
from bot.db.metrics import PersistenceMetrics

if TYPE_CHECKING:
    from opentelemetry.trace import Span

__all__ = ["QueryMonitor"]

_START_TIMES_KEY = "query_monitor_start_times"
_MAX_LOGGED_STATEMENT = 1000
_WHITESPACE = re.compile(r"\s+")


class QueryMonitor:
    """Hooks on a sync ``Engine`` that time statements and report slow ones and errors."""

    def __init__(self, metrics: PersistenceMetrics, slow_query_ms: float) -> None:
        self._metrics = metrics
        self.slow_query_ms = slow_query_ms

    def attach(self, engine: Engine) -> None:
        """Listen to ``engine``'s cursor and error events."""
        event.listen(engine, "before_cursor_execute", self._before_cursor_execute)
        event.listen(engine, "after_cursor_execute", self._after_cursor_execute)
        event.listen(engine, "handle_error", self._handle_error)

    def _before_cursor_execute(
        self,
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        span = tracing.start_child_span(
            f"DB {_verb(statement)}",
            {
                "db.system": conn.dialect.name,
                "db.query.text": _shorten(statement),
                "db.executemany": executemany,
            },
        )
        conn.info.setdefault(_START_TIMES_KEY, []).append((time.perf_counter(), span))

    def _after_cursor_execute(
        self,
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        started, span = _pop_start(conn)
        tracing.end_span(span)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        self._metrics.query_duration.observe(elapsed)
        elapsed_ms = elapsed * 1000
        if elapsed_ms >= self.slow_query_ms:
            self._metrics.slow_queries.inc()
            logger.warning(
                "Slow SQL statement ({:.1f} ms{}): {}",
                elapsed_ms,
                ", executemany" if executemany else "",
                _shorten(statement),
            )

    def _handle_error(self, context: ExceptionContext) -> None:
        if context.connection is not None:
            _, span = _pop_start(context.connection)
            if span is not None:
                span.set_attribute("error.type", type(context.original_exception).__name__)
            tracing.end_span(span, failed=True)
        self._metrics.errors.labels(type(context.original_exception).__name__).inc()


def _pop_start(conn: Connection) -> tuple[float | None, Span | None]:
    starts: list[tuple[float, Span | None]] = conn.info.get(_START_TIMES_KEY, [])
    return starts.pop() if starts else (None, None)


def _verb(statement: str) -> str:
    """The statement's first keyword (SELECT, INSERT …): a bounded span name."""
    return statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"


def _shorten(statement: str) -> str:
    flat = _WHITESPACE.sub(" ", statement).strip()
    if len(flat) > _MAX_LOGGED_STATEMENT:
        return flat[:_MAX_LOGGED_STATEMENT] + "…"
    return flat
