"""The slash-command tree: correlation ids, per-user rate limit, metrics and the one error handler.

Error handling order (`on_error`):
1. a `UserError` (or one wrapped by app_commands) → its text, ephemeral;
2. a failed check (`CheckFailure`, missing permissions, cooldown) → a short
   explanation, ephemeral;
3. the audio side did not answer (`BusTimeout`, `NoHandler`) → "try again";
4. anything else → logged with the correlation id and traceback; the user gets
   an apology with the correlation id to quote, never the traceback.

Every reply is in the reader's language (`bot.i18n.reader.interaction_locale`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from loguru import logger

from bot import tracing
from bot.bus import BusError, BusTimeout
from bot.correlation import bind_correlation_id, new_correlation_id
from bot.db.errors import DatabaseUnavailableError
from bot.errors import RateLimited, UserError
from bot.i18n import Text, t
from bot.i18n.reader import interaction_locale, known_locale
from bot.metrics import COMMAND_DURATION, COMMANDS
from bot.rate_limit import SlidingWindowLimiter

if TYPE_CHECKING:
    from bot.app import MusicBot


def command_label(interaction: discord.Interaction[Any]) -> str:
    """A bounded metric label: the command name, or the button's action."""
    if interaction.command is not None:
        return interaction.command.qualified_name
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = data.get("custom_id", "")
    # Our custom ids are `area:action[:state]`; the first two parts are a bounded set.
    return ":".join(str(custom_id).split(":")[:2]) or interaction.type.name


async def defer_public(interaction: discord.Interaction[Any]) -> None:
    """Show "thinking…" to everyone; an error later replaces it with an ephemeral reply."""
    interaction.extras["deferred_public"] = True
    await interaction.response.defer(thinking=True)


async def reply(interaction: discord.Interaction[Any], message: str, *, ephemeral: bool) -> None:
    """Answer an interaction whether or not it was already acknowledged."""
    if not interaction.response.is_done():
        await interaction.response.send_message(message, ephemeral=ephemeral)
        return
    if ephemeral and interaction.extras.pop("deferred_public", False):
        # The first follow-up after a public defer would fill the public "thinking…"
        # message; remove it so the error stays between the bot and this user.
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            logger.debug("could not remove the deferred reply")
    await interaction.followup.send(message, ephemeral=ephemeral)


class SlowDown(app_commands.CheckFailure):
    """The per-user rate limit refused a command (a CheckFailure, so discord.py routes it)."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.english)
        self.text = text


class MusicCommandTree(app_commands.CommandTree["MusicBot"]):
    """Binds a correlation id per interaction and turns errors into friendly replies."""

    def __init__(self, client: MusicBot, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self.user_limiter = SlidingWindowLimiter(window=10.0)

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Runs first in the interaction's own task: bind its id, start its clock, rate-limit."""
        # Each interaction runs in a task of its own, so binding the id here
        # scopes it to everything this command causes, across the bus.
        begin_interaction(
            interaction, self.user_limiter, self.client.settings.limits.commands_per_user_per_10s
        )
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """The one place slash-command errors become replies (see the module docstring)."""
        await report_error(interaction, error)


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Turn an error into an ephemeral reply and a metric; used by the tree and by views."""
    cause: BaseException = error
    if isinstance(error, app_commands.CommandInvokeError):
        cause = error.original
    status = "user_error"
    if isinstance(cause, UserError | SlowDown):
        text = cause.text
    elif isinstance(cause, app_commands.CheckFailure):
        text = _check_failure_text(cause)
    elif isinstance(cause, DatabaseUnavailableError):
        status, text = "unavailable", t("errors.storage_unreachable")
    elif isinstance(cause, BusTimeout):
        status, text = "timeout", t("errors.audio_timeout")
    elif isinstance(cause, BusError):
        status, text = "unavailable", t("errors.audio_unavailable")
    else:
        status = "error"
        cid = interaction.extras.get("cid", "-")
        logger.opt(exception=cause).error("command {} failed", command_label(interaction))
        text = t("errors.apology", cid=cid)
    record_command(interaction, status)
    try:
        message = text.render(await _error_locale(interaction))
        await reply(interaction, message, ephemeral=True)
    except discord.HTTPException:
        logger.warning("could not deliver the error reply for {}", command_label(interaction))


def _check_failure_text(failure: app_commands.CheckFailure) -> Text:
    if isinstance(failure, app_commands.NoPrivateMessage):
        return t("errors.guild_only")
    if isinstance(failure, app_commands.MissingPermissions):
        return t("errors.missing_permissions", permissions=", ".join(failure.missing_permissions))
    if isinstance(failure, app_commands.BotMissingPermissions):
        return t(
            "errors.bot_missing_permissions", permissions=", ".join(failure.missing_permissions)
        )
    if isinstance(failure, app_commands.CommandOnCooldown):
        return t("errors.slow_down", seconds=round(max(failure.retry_after, 1)))
    return t("errors.not_here")


async def _error_locale(interaction: discord.Interaction[Any]) -> str:
    """The reader's locale; an error while finding it must not cost the reply."""
    try:
        return await interaction_locale(interaction)
    except Exception:
        logger.opt(exception=True).warning("could not resolve the reply language")
        return known_locale(interaction)


def begin_interaction(
    interaction: discord.Interaction[Any], limiter: SlidingWindowLimiter, limit: int
) -> None:
    """Start the trace (tracing on), bind a correlation id, start the clock, rate-limit.

    The correlation id is the trace id when tracing is on, so the id in the logs
    and in the user's error message finds the trace.
    """
    interaction.extras["started"] = time.perf_counter()
    autocomplete = interaction.type is discord.InteractionType.autocomplete
    span = None
    if not autocomplete:  # keystrokes, not commands: no trace of their own
        span = tracing.start_root_span(
            f"interaction {command_label(interaction)}",
            {
                "discord.interaction.type": interaction.type.name,
                "discord.command": command_label(interaction),
                "discord.guild_id": str(interaction.guild_id),
            },
        )
        interaction.extras["span"] = span
    cid = tracing.trace_id(span) or new_correlation_id()
    bind_correlation_id(cid)
    interaction.extras["cid"] = cid
    if autocomplete:
        return
    retry_after = limiter.hit(interaction.user.id, limit)
    if retry_after > 0:
        raise SlowDown(RateLimited(retry_after).text)
    logger.info(
        "{} by {} in guild {}",
        command_label(interaction),
        interaction.user.id,
        interaction.guild_id,
    )


def record_command(interaction: discord.Interaction[Any], status: str) -> None:
    """Count a finished command, observe its duration and end its span."""
    label = command_label(interaction)
    COMMANDS.labels(label, status).inc()
    started = interaction.extras.get("started")
    if started is not None:
        COMMAND_DURATION.labels(label).observe(time.perf_counter() - started)
    tracing.end_span(interaction.extras.pop("span", None), failed=status == "error")
