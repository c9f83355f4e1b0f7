"""The server basics against the running bot: probes, metrics, info, limits, access log."""

from __future__ import annotations

import io
import os
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import CollectorRegistry, Counter
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.api.metrics import MetricsPage
from bot.log import setup_logging
from bot.settings import LoggingSettings
from tests.api.conftest import API_ON, Api, base_url
from tests.db.conftest import (
    SKIP_POSTGRES_VARIABLE,
    create_postgres_database,
    drop_postgres_database,
)
from tests.e2e.harness import harness


async def test_health_is_ok_and_carries_a_correlation_id(api: Api) -> None:
    """/health answers 200 JSON with a fresh X-Correlation-ID each time."""
    status, body, first = await api.call("GET", "/health")
    assert status == 200 and body == {"status": "ok"}
    _, _, second = await api.call("GET", "/health")
    ids = {first.headers["X-Correlation-ID"], second.headers["X-Correlation-ID"]}
    assert len(ids) == 2


async def test_ready_names_every_part(api: Api) -> None:
    """/ready is 200 once Discord, the Lavalink node and the database are up."""
    status, body, _ = await api.call("GET", "/ready")
    assert status == 200
    assert body == {"ready": True, "discord": True, "lavalink": True, "database": True}


async def test_ready_is_503_naming_lavalink_when_the_node_is_down(api: Api) -> None:
    """With the only node gone, /ready says which part is missing."""
    await api.h.bot.get_cog("audio").nodes.close()  # type: ignore[union-attr]
    status, body, _ = await api.call("GET", "/ready")
    assert status == 503 and body["lavalink"] is False and body["discord"] is True


async def test_info_describes_the_process(api: Api) -> None:
    """/info: versions, uptime, shards, guilds, the node with stats, the database kind."""
    await api.h.lavalink.send_stats()
    status, body, _ = await api.call("GET", "/info")
    assert status == 200
    assert {"bot", "python", "discord.py", "mafic", "aiohttp"} <= set(body["version"])
    assert body["uptime_s"] > 0 and body["guilds"] == 2
    assert body["shards"]["count"] >= 1 and body["database"] == {"kind": "sqlite"}
    (node,) = body["nodes"]
    assert node["label"] == api.h.lavalink.label and node["available"] is True
    assert node["players"] == 0 and node["cores"] is not None


async def test_metrics_has_the_gauges_and_request_counts(api: Api) -> None:
    """/metrics: nodes up, players and playing players (refreshed on scrape), API requests."""
    await api.start_playing(1)
    status, text, response = await api.call("GET", "/metrics")
    assert status == 200 and response.content_type == "text/plain"
    lines = text.splitlines()
    assert "lavalink_nodes_up 1.0" in lines
    assert "audio_players 1.0" in lines and "audio_playing_players 1.0" in lines
    assert any(line.startswith("api_requests_total{") for line in lines)
    assert 'route="/metrics"' in text or 'route="/health"' in text or "api_requests" in text


async def test_unknown_path_and_wrong_method_are_json_errors(api: Api) -> None:
    """404 and 405 come as {"error": {"code", "message"}}."""
    status, body, _ = await api.call("GET", "/nope")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body, response = await api.call("DELETE", "/health")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


async def test_body_over_the_limit_is_refused(api: Api) -> None:
    """A body over api.max_body_bytes gets 413, before any key lookup or command."""
    token = await api.key()
    big = b"{" + b" " * (api.h.bot.settings.api.max_body_bytes + 10) + b"}"
    status, body, _ = await api.call(
        "POST", api.player("/volume"), token=token, data=big,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert status == 413 and body["error"]["code"] == "payload_too_large"


async def test_access_log_line_carries_the_request_correlation_id(api: Api) -> None:
    """Each request logs one line through loguru with the id returned in the header."""
    stream = io.StringIO()
    setup_logging(LoggingSettings(level="DEBUG"), stream=stream)
    _, _, response = await api.call("GET", "/info")
    cid = response.headers["X-Correlation-ID"]
    (line,) = [entry for entry in stream.getvalue().splitlines() if "GET /info 200" in entry]
    assert f"| {cid} |" in line


async def test_no_secret_in_info_metrics_or_page(tmp_path: Path) -> None:
    """The token, the Lavalink password and the database password appear in no response."""
    if os.environ.get(SKIP_POSTGRES_VARIABLE, "") not in ("", "0"):
        pytest.skip(f"needs PostgreSQL for a database password: {SKIP_POSTGRES_VARIABLE} is set")
    db_password = "db-pass-Secret-42"
    url = make_url(await create_postgres_database()).set(password=db_password)
    try:
        async with harness(tmp_path, start=False) as h, aiohttp.ClientSession() as http:
            rendered = url.render_as_string(hide_password=False)
            await h.start(api=API_ON, database={"url": SecretStr(rendered)})
            assert h.bot.db is not None and h.bot.db.kind == "postgresql"
            secrets = [h.discord.token, h.lavalink.password, db_password]
            await h.join()
            h.add_tracks(1)
            await h.reply("play", query="https://example.com/t1")
            for path in ("/info", "/metrics", "/", "/status.json", "/api/v1/openapi.json"):
                async with http.get(base_url(h) + path) as response:
                    text = await response.text()
                assert response.status == 200, path
                for secret in secrets:
                    assert secret not in text, f"{path} shows a secret"
    finally:
        await drop_postgres_database(url.render_as_string(hide_password=False))


async def test_metric_labels_stay_bounded_for_odd_requests(api: Api) -> None:
    """Unknown paths and made-up methods are counted as `unmatched` and `other`."""
    await api.call("GET", "/no/such/path/12345")
    await api.call("PROPFIND", "/health")
    _, text, _ = await api.call("GET", "/metrics")
    assert 'route="unmatched"' in text and 'method="other"' in text
    assert "12345" not in text and "PROPFIND" not in text


def test_metrics_page_is_rendered_at_most_once_per_max_age() -> None:
    """Scrapes within max_age share one render; an older one, or max_age 0, renders anew."""
    registry = CollectorRegistry()
    hits = Counter("bench_hits", "Test counter.", registry=registry)
    now = [100.0]
    page = MetricsPage(registry, clock=lambda: now[0])
    first = page.body(1.0)
    hits.inc()
    now[0] = 100.5
    assert page.body(1.0) == first
    assert b"bench_hits_total 1.0" in page.body(0)
    hits.inc()
    now[0] = 101.6
    assert b"bench_hits_total 2.0" in page.body(1.0)
