"""Logging: one loguru setup, stdlib logging routed in, secrets redacted, correlation ids bound.

Every line passes through one patcher that (1) stamps the current correlation
id, (2) folds any exception into the message text (after handing an error's
exception to the error reporter, when one is on) and (3) replaces every known
secret with `***`. Doing it in the patcher, before any sink formats the record,
means the console, JSON and file sinks all see the same redacted text.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from loguru import logger

from bot.correlation import current_correlation_id

if TYPE_CHECKING:
    from types import FrameType

    from loguru import Record

    from bot.settings import LoggingSettings

HUMAN_FORMAT = (
    "<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> | <level>{level: <8}</level> | "
    "<cyan>{extra[cid]}</cyan> | <cyan>{name}</cyan> - <level>{message}</level>"
)
# Discord bot tokens: base64 user id, timestamp and HMAC separated by dots.
_TOKEN_SHAPE = re.compile(r"[MNO][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}")
# The REST API's keys: `mbk_<prefix>_<secret>` (bot.db.api_keys).
_API_KEY_SHAPE = re.compile(r"\bmbk_[0-9a-f]{8}_[A-Za-z\d_-]{20,}")
_REDACTED = "***"
_LIBRARY_LOGGERS = ("discord", "mafic", "aiohttp", "sqlalchemy", "alembic", "asyncio")


class Redactor:
    """Replaces known secret values and token-shaped strings in text."""

    def __init__(self) -> None:
        self._secrets: tuple[str, ...] = ()

    def set_secrets(self, secrets: Iterable[str]) -> None:
        """Replace the secret set; longest first so overlapping secrets redact fully."""
        self._secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _REDACTED)
        return _API_KEY_SHAPE.sub(_REDACTED, _TOKEN_SHAPE.sub(_REDACTED, text))


redact = Redactor()
# Called with each error logged with its exception (error reporting, when on).
_error_hook: Callable[[BaseException, str], None] | None = None


def set_error_hook(hook: Callable[[BaseException, str], None] | None) -> None:
    """Hand every exception logged at ERROR or above to `hook` (None: stop)."""
    global _error_hook
    _error_hook = hook


def _patch(record: Record) -> None:
    cid = current_correlation_id()
    if cid is not None:
        record["extra"]["cid"] = cid
    message = record["message"]
    exception = record["exception"]
    if exception is not None and exception.type is not None:
        if _error_hook is not None and exception.value is not None and record["level"].no >= 40:
            _error_hook(exception.value, redact(message))
        text = "".join(
            traceback.format_exception(exception.type, exception.value, exception.traceback)
        )
        message = f"{message}\n{text.rstrip()}"
        record["exception"] = None
    record["message"] = redact(message)
    for key, value in list(record["extra"].items()):
        if isinstance(value, str):
            record["extra"][key] = redact(value)


class InterceptHandler(logging.Handler):
    """Sends stdlib `logging` records (discord.py, mafic, aiohttp, SQLAlchemy) to loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        frame: FrameType | None = logging.currentframe()
        depth = 2
        while frame is not None and frame.f_code.co_filename == logging.__file__:
            frame = frame.f_back
            depth += 1
        logger.opt(depth=depth, exception=record.exc_info).log(level, record.getMessage())


def setup_logging(
    settings: LoggingSettings, secrets: Iterable[str] = (), *, stream: Any = None
) -> None:
    """Configure loguru sinks from settings; safe to call again on reload."""
    redact.set_secrets(secrets)
    logger.remove()
    logger.configure(patcher=_patch, extra={"cid": "-"})
    sink = stream if stream is not None else sys.stderr
    if settings.json_lines:
        logger.add(sink, level=settings.level, serialize=True, backtrace=False, diagnose=False)
    else:
        logger.add(
            sink,
            level=settings.level,
            format=HUMAN_FORMAT,
            colorize=None,
            backtrace=False,
            diagnose=False,
        )
    if settings.file is not None:
        settings.file.parent.mkdir(parents=True, exist_ok=True)
        logger.add(
            settings.file,
            level=settings.level,
            serialize=settings.json_lines,
            format=HUMAN_FORMAT,
            rotation=settings.rotation,
            retention=settings.retention,
            backtrace=False,
            diagnose=False,
            enqueue=False,
        )
    _route_stdlib(settings.level)


def _route_stdlib(level: str) -> None:
    handler = InterceptHandler()
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.WARNING)
    stdlib_level = logging.getLevelNamesMapping().get(level, logging.DEBUG)
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers = []
        library.propagate = True
        # Library chatter below INFO is rarely useful; SQLAlchemy's INFO is every statement.
        library.setLevel(
            max(stdlib_level, logging.INFO) if name != "sqlalchemy" else logging.WARNING
        )
