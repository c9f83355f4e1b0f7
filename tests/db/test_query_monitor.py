"""Slow statements are logged (text only, never parameters); failing ones are counted."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.db.database import Database
from bot.db.metrics import PersistenceMetrics
from tests.db.conftest import sample


async def test_slow_statement_is_logged_without_its_parameters(
    sqlite_url: str, metrics: PersistenceMetrics, log_lines: list[str]
) -> None:
    """With a 0 ms threshold every statement is slow: logged by text, parameters left out."""
    database = Database(sqlite_url, slow_query_ms=0, metrics=metrics)
    await database.connect()
    try:
        async with database.session() as session:
            secret = "tok3n-FAKE-secret-value"
            await session.execute(text("SELECT :api_token AS leaked"), {"api_token": secret})
    finally:
        await database.close()
    slow = [line for line in log_lines if "Slow SQL statement" in line]
    assert any("SELECT ? AS leaked" in line for line in slow)
    assert all(line.startswith("WARNING") for line in slow)
    assert not [line for line in log_lines if secret in line]
    assert sample(metrics, "db_slow_queries_total") >= len(slow) >= 1


async def test_fast_statements_are_not_logged(sqlite_db: Database, log_lines: list[str]) -> None:
    """Below the threshold nothing is logged, but durations are still observed."""
    async with sqlite_db.session() as session:
        await session.execute(text("SELECT 1"))
    assert not [line for line in log_lines if "Slow SQL" in line]


async def test_failing_statement_is_counted_by_error_type(
    sqlite_db: Database, metrics: PersistenceMetrics
) -> None:
    """db_errors_total counts statements that raised, labelled by the driver's error type."""
    with pytest.raises(OperationalError):
        async with sqlite_db.session() as session:
            await session.execute(text("SELECT * FROM no_such_table"))
    assert sample(metrics, "db_errors_total", error="OperationalError") == 1
    assert sample(metrics, "db_query_duration_seconds_count") >= 1
