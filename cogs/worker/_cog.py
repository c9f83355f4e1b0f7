"""Housekeeping: the audit log of commands, retention of history and audit entries, and the
runner of durable jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from discord.ext import commands
from loguru import logger

from bot.audit import action_name, audit_detail, audited
from bot.bus import Channel, Subscription
from bot.db import AuditStore, HistoryStore

if TYPE_CHECKING:
    from bot.app import MusicBot
    from bot.durable_queue import DurableQueue

RETENTION_JOB = "retention"


class WorkerCog(commands.Cog, name="worker"):
    """Writes the audit log from `discord-bot:commands` and trims old rows on a schedule."""

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot
        self.audit = AuditStore(bot.db) if bot.db is not None else None
        self.history = HistoryStore(bot.db) if bot.db is not None else None
        # The bot's queue (other cogs register their kinds on it); this cog runs it.
        self.durable: DurableQueue | None = bot.durable
        self._subscription: Subscription | None = None

    async def cog_load(self) -> None:
        """Subscribe to commands, schedule retention and start the durable job runner."""
        if self.audit is None:
            return
        self._subscription = self.bot.bus.subscribe(
            Channel.COMMANDS, self.record, name="audit"
        )
        self.bot.jobs.every(self.bot.settings.retention.interval_s, RETENTION_JOB, self.trim)
        if self.durable is not None:
            self.durable.start()

    async def cog_unload(self) -> None:
        """Stop the subscription, the job and the durable job runner."""
        if self._subscription is not None:
            await self.bot.bus.unsubscribe(self._subscription)
        await self.bot.jobs.cancel(RETENTION_JOB)
        if self.durable is not None:
            await self.durable.stop()

    async def record(self, command: Any) -> None:
        """One audit entry per state-changing command, with its correlation id."""
        if self.audit is None or not audited(command):
            return
        await self.audit.add(
            action_name(command),
            guild_id=command.guild_id,
            user_id=command.user_id,
            detail=audit_detail(command),
            correlation_id=command.correlation_id,
        )

    async def trim(self) -> None:
        """Delete history and audit entries past their retention."""
        if self.audit is None or self.history is None:
            return
        retention = self.bot.settings.retention
        plays = await self.history.prune(retention.history_days)
        entries = await self.audit.prune(retention.audit_days)
        if plays or entries:
            logger.info("retention: removed {} plays and {} audit entries", plays, entries)
