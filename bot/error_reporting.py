"""Error reports to Sentry (or any server speaking its protocol) when a DSN is configured.

Off unless `observability.sentry_dsn` is set; then every unexpected error the
bot logs with its traceback (a failed command, a 500 of the API, a failing
bus subscriber, stdlib loggers included) becomes an event, tagged with the
correlation id so it finds the log lines and the trace. One hook in the
logging patcher does it (`bot.log.set_error_hook`), so no call site has to
remember.

Secrets never leave: every string of an event (messages, exception values,
stack frames, breadcrumbs, tags) goes through the log redactor with this
process's secrets (bot token, database and Redis passwords, webhook secrets,
the DSN) and the token shapes (Discord bot tokens, the REST API's keys);
local variables are not sent at all, nor request bodies or users (sentry-sdk sends no
personal data by default).
sentry-sdk is an optional dependency (`pip install .[errors]`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bot.correlation import current_correlation_id
from bot.log import Redactor, set_error_hook
from bot.settings import ConfigError

if TYPE_CHECKING:
    from sentry_sdk.client import BaseClient

    from bot.settings import ObservabilitySettings

__all__ = ["ErrorReporter", "scrubbed", "start", "stop"]

FLUSH_TIMEOUT_S = 2.0


def scrubbed(value: Any, redact: Redactor) -> Any:
    """`value` (an event, or any part of one) with every string redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {scrubbed(k, redact): scrubbed(v, redact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrubbed(item, redact) for item in value)
    return value


class ErrorReporter:
    """The Sentry client of this process and the log hook that feeds it."""

    def __init__(self, client: BaseClient) -> None:
        self.client = client

    def report(self, error: BaseException, message: str) -> None:
        """Send `error` (logged as `message`) with the correlation id as a tag."""
        import sentry_sdk

        with sentry_sdk.new_scope() as scope:
            cid = current_correlation_id()
            if cid is not None:
                scope.set_tag("correlation_id", cid)
            scope.set_extra("log_message", message)
            sentry_sdk.capture_exception(error, scope=scope)

    async def close(self) -> None:
        """Stop reporting, then send what is queued (in a thread: the transport blocks)."""
        set_error_hook(None)
        await asyncio.to_thread(self.client.close, timeout=FLUSH_TIMEOUT_S)


def start(settings: ObservabilitySettings, secrets: Iterable[str]) -> ErrorReporter | None:
    """Report errors to `settings.sentry_dsn` from now on; None (nothing done) when unset."""
    if settings.sentry_dsn is None:
        return None
    try:
        import sentry_sdk
        from sentry_sdk.integrations.logging import LoggingIntegration
    except ImportError:
        raise ConfigError(
            "observability.sentry_dsn is set but sentry-sdk is not installed: "
            "pip install 'discord-music-bot[errors]'"
        ) from None
    from bot.version import __version__

    redact = Redactor()
    redact.set_secrets(secrets)

    def before_send(event: Any, _hint: Any) -> Any:
        return scrubbed(event, redact)

    def before_breadcrumb(crumb: Any, _hint: Any) -> Any:
        return scrubbed(crumb, redact)

    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.sentry_environment,
        sample_rate=settings.sentry_sample_rate,
        release=f"discord-music-bot@{__version__}",
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        include_local_variables=False,
        # Errors only: no performance tracing (OpenTelemetry does that), no sessions.
        traces_sample_rate=None,
        auto_session_tracking=False,
        # Only the integrations chosen here: none that patches aiohttp, SQLAlchemy or Redis.
        auto_enabling_integrations=False,
        # The log hook reports stdlib errors too (they pass through loguru): no second copy.
        disabled_integrations=[LoggingIntegration()],
    )
    reporter = ErrorReporter(sentry_sdk.get_client())
    set_error_hook(reporter.report)
    return reporter


async def stop(reporter: ErrorReporter | None) -> None:
    """Stop reporting and flush; nothing when reporting was off."""
    if reporter is not None:
        await reporter.close()
