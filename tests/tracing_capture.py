"""Tracing on for a test, into memory: the `exporter` fixture (a pytest plugin of conftest)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bot import tracing

Spans = Sequence[ReadableSpan]


class SpanWaiter(InMemorySpanExporter):
    """Finished spans in memory, and a way to wait for the ones a test expects."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = asyncio.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> Any:
        result = super().export(spans)
        self._changed.set()
        return result

    async def wait_for(self, check: Callable[[Spans], bool], timeout: float = 5.0) -> Spans:
        """The finished spans, once `check` accepts them."""
        async with asyncio.timeout(timeout):
            while not check(spans := self.get_finished_spans()):
                self._changed.clear()
                await self._changed.wait()
        return spans


@pytest.fixture
def exporter() -> Iterator[SpanWaiter]:
    """Tracing on for the test, into memory."""
    waiter = SpanWaiter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(waiter))
    tracing.install(provider)
    yield waiter
    tracing.uninstall()
    provider.shutdown()
