"""The OpenAPI document against the running server: schemathesis finds no 5xx and no
response that contradicts the schema, for valid and for invalid requests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.api.rest import OPERATIONS, PREFIX
from bot.db.api_keys import KeyScope
from tests.api.conftest import serving

EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def exercise(strategy: Any, checks: list[Any], examples: int, send: Any) -> None:
    """Send `examples` generated requests and validate each response."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        case.validate_response(send(case), checks=checks)

    check()


def fuzz(document: dict[str, Any], base_url: str, token: str, guild_id: int) -> int:
    """Run every operation with generated requests; returns how many were sent."""
    schema = schemathesis.openapi.from_dict(document)
    sent = 0
    with requests.Session() as session:

        def send(case: Any) -> Any:
            nonlocal sent
            sent += 1
            response = case.call(base_url=base_url, session=session, timeout=5)
            return response

        for result in schema.get_all_operations():
            operation = result.ok()
            path = {"guild_id": str(guild_id)} if "{guild_id}" in operation.path else None
            for mode, examples in EXAMPLES.items():
                strategy = operation.as_strategy(
                    generation_mode=mode,
                    path_parameters=path,
                    headers={"Authorization": f"Bearer {token}"},
                )
                if not mode.is_negative:
                    exercise(strategy, CHECKS, examples, send)
                    continue
                # Unsatisfiable: nothing to make invalid (the guild and the key are fixed).
                with contextlib.suppress(Unsatisfiable):
                    exercise(strategy, [*CHECKS, negative_data_rejection], examples, send)
    return sent


async def test_schemathesis_finds_no_5xx_and_no_schema_mismatch(tmp_path: Path) -> None:
    """Every operation, valid and invalid input, against a guild that is playing."""
    async with serving(tmp_path, requests_per_minute=100_000) as api:
        await api.start_playing(3)
        token = await api.key("control")
        status, document, _ = await api.call("GET", "/api/v1/openapi.json")
        assert status == 200 and document["openapi"].startswith("3.")
        began = time.perf_counter()
        sent = await asyncio.to_thread(fuzz, document, api.base, token, api.guild_id)
        print(f"\nschemathesis: {sent} requests in {time.perf_counter() - began:.2f}s")
        assert sent > 60


async def test_document_lists_every_route_with_its_key_and_errors(tmp_path: Path) -> None:
    """Each served /api/v1 route is in the document, with bearer security and JSON errors."""
    async with serving(tmp_path) as api:
        _, document, _ = await api.call("GET", "/api/v1/openapi.json")
        served = {
            (route.method.lower(), route.resource.canonical)
            for route in api.h.bot.get_cog("api").runner.app.router.routes()  # type: ignore[union-attr]
            if route.resource is not None
            and route.resource.canonical.startswith("/api/v1/")
            and route.method != "HEAD"
            and route.name != "openapi"
        }
        documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
        assert served == documented
        for ops in document["paths"].values():
            for spec in ops.values():
                assert spec["security"] == [{"bearer": []}]
                assert {"401", "403", "429"} <= set(spec["responses"])


async def test_each_operation_enforces_the_scope_it_documents(tmp_path: Path) -> None:
    """A read key gets 403 insufficient_scope exactly on the operations documented as control."""
    async with serving(tmp_path, requests_per_minute=100_000) as api:
        token = await api.key("read")
        for op in OPERATIONS:
            path = PREFIX + op.path.format(guild_id=api.guild_id, position=1)
            status, body, _ = await api.call(op.method, path, token=token, json={})
            refused = status == 403 and body["error"]["code"] == "insufficient_scope"
            assert refused == (op.scope is KeyScope.CONTROL), (op.operation_id, status, body)
