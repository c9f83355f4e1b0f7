"""OpenTelemetry: a span per API request whose trace id is the correlation id; OTLP export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bot.api.board import NowPlayingBoard
from bot.api.middleware import PORT, deadline, json_errors, observe
from bot.settings import ApiSettings
from tests.api.conftest import API_ON, Api
from tests.e2e.harness import build_guild, harness

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    """Finished spans, kept in memory."""
    return InMemorySpanExporter()


@pytest.fixture
async def client(exporter: InMemorySpanExporter) -> AsyncIterator[TestClient[Any, Any]]:
    """The middlewares with tracing on, in front of one route."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    class Port:
        settings = ApiSettings()
        board = NowPlayingBoard()
        tracer = provider.get_tracer("test")

    app = web.Application(middlewares=[observe, json_errors, deadline])
    app[PORT] = Port()  # type: ignore[assignment]

    async def thing(_request: web.Request) -> web.Response:
        return web.json_response({})

    app.router.add_get("/things/{id}", thing)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_request_span_carries_route_and_status_and_names_the_correlation_id(
    client: TestClient[Any, Any], exporter: InMemorySpanExporter
) -> None:
    """One server span per request; its trace id is the X-Correlation-ID."""
    response = await client.get("/things/42")
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET /things/{id}"
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == 200
    assert format(span.context.trace_id, "032x") == response.headers["X-Correlation-ID"]


async def test_request_span_continues_the_callers_trace(
    client: TestClient[Any, Any], exporter: InMemorySpanExporter
) -> None:
    """A `traceparent` header makes the request's span part of the caller's trace."""
    response = await client.get(
        "/things/1", headers={"traceparent": f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"}
    )
    (span,) = exporter.get_finished_spans()
    assert format(span.context.trace_id, "032x") == CALLER_TRACE
    assert response.headers["X-Correlation-ID"] == CALLER_TRACE


async def test_spans_are_exported_over_otlp_from_the_running_bot(tmp_path: Path) -> None:
    """With observability.otlp_endpoint set, request spans reach the collector by stop."""
    received: list[ExportTraceServiceRequest] = []

    async def collect(request: web.Request) -> web.Response:
        received.append(ExportTraceServiceRequest.FromString(await request.read()))
        return web.Response(content_type="application/x-protobuf")

    collector = web.Application()
    collector.router.add_post("/v1/traces", collect)
    server = TestServer(collector)
    await server.start_server()
    try:
        async with harness(tmp_path, start=False) as h, aiohttp.ClientSession() as http:
            other = build_guild(h.discord, "Guild B")
            endpoint = str(server.make_url("/")).rstrip("/")
            await h.start(api=API_ON, observability={"otlp_endpoint": endpoint})
            api = Api(h, other, http)
            token = await api.key("read")
            _, _, response = await api.call("GET", api.player(), token=token)
            cid = response.headers["X-Correlation-ID"]
            assert h.running is not None
            await h.running.stop()  # flushes the batched spans
            h.running = None
    finally:
        await server.close()
    spans = [
        span
        for request in received
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    (player,) = [s for s in spans if s.name == "GET /api/v1/guilds/{guild_id}/player"]
    assert player.trace_id.hex() == cid
