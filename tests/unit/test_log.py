"""Logging: redaction of secrets (message and exception text), JSON lines, stdlib routing."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from loguru import logger

from bot.correlation import correlation
from bot.log import setup_logging
from bot.settings import LoggingSettings

SECRET = "s3cr3t-db-password"
TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    setup_logging(LoggingSettings(level="DEBUG"), [SECRET], stream=out)
    yield out
    logger.remove()


def test_known_secret_redacted_from_message(stream: io.StringIO) -> None:
    """A registered secret never reaches the log line."""
    logger.info("connecting with password {}", SECRET)
    assert SECRET not in stream.getvalue()
    assert "connecting with password ***" in stream.getvalue()


def test_token_shaped_string_redacted_even_if_unregistered(stream: io.StringIO) -> None:
    """Anything shaped like a Discord token is masked."""
    logger.warning("header was Bot {}", TOKEN)
    assert TOKEN not in stream.getvalue()


def test_secret_redacted_from_exception_text(stream: io.StringIO) -> None:
    """Exception messages and tracebacks are redacted too."""
    try:
        raise RuntimeError(f"login failed for postgresql://bot:{SECRET}@db/music")
    except RuntimeError:
        logger.exception("database down")
    text = stream.getvalue()
    assert "RuntimeError" in text
    assert SECRET not in text


def test_stdlib_logging_routed_with_redaction(stream: io.StringIO) -> None:
    """discord.py's stdlib logger goes through loguru and its redaction."""
    logging.getLogger("discord.gateway").warning("token %s rejected", SECRET)
    assert "token *** rejected" in stream.getvalue()


def test_json_lines_carry_correlation_id() -> None:
    """JSON output is one object per line with the bound correlation id."""
    out = io.StringIO()
    setup_logging(LoggingSettings(level="INFO", json=True), [SECRET], stream=out)
    try:
        with correlation("abc123"):
            logger.info("hello {}", SECRET)
    finally:
        logger.remove()
    record = json.loads(out.getvalue().splitlines()[-1])["record"]
    assert record["extra"]["cid"] == "abc123"
    assert record["message"] == "hello ***"


def test_log_file_gets_redacted_lines(tmp_path) -> None:
    """The optional log file sees the same redacted text."""
    path = tmp_path / "logs" / "bot.log"
    setup_logging(LoggingSettings(level="INFO", file=path), [SECRET], stream=io.StringIO())
    try:
        logger.error("oops {}", SECRET)
    finally:
        logger.remove()
    assert "oops ***" in path.read_text()
