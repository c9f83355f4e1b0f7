"""The durable job table: work that must survive a restart, claimed under a lease.

A job is ``queued`` until ``run_after``; a runner claims it (``running``,
``locked_by`` itself, ``locked_until`` the end of its lease, ``attempts`` + 1),
then marks it ``done``, puts it back in the queue for a later retry, or moves
it to ``dead`` (the dead-letter state) after ``max_attempts``. A job whose
lease ran out (its process died, or lost the database) can be claimed again.

Claims never hand one job to two runners while its lease lasts: on PostgreSQL
the candidates are picked with ``SELECT … FOR UPDATE SKIP LOCKED``; on SQLite
(one writer at a time) each candidate is taken by a conditional ``UPDATE`` whose
row count says whether this runner won it. Completing, retrying and renewing
are fenced by ``locked_by`` and ``attempts``, so a runner whose lease expired
cannot overwrite the outcome of the runner that took over.

Times come from the caller (the runner's clock), so tests can move them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Index,
    Integer,
    Select,
    String,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.database import Database
from bot.db.dialect_insert import dialect_insert
from bot.db.models import Base, JsonDocument, SurrogateKey
from bot.db.storable import storable
from bot.db.timestamps import UtcDateTime, utcnow

__all__ = ["ClaimedJob", "DurableJob", "DurableJobStore", "JobStatus", "StoredJob"]

MAX_ERROR_LENGTH = 500


class JobStatus(StrEnum):
    """Where a durable job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class DurableJob(Base):
    """One unit of work that must happen even if the process restarts."""

    __tablename__ = "durable_jobs"
    # The claim query: due queued jobs, and running ones whose lease ran out.
    __table_args__ = (Index("ix_durable_jobs_status_run_after", "status", "run_after"),)

    id: Mapped[int] = mapped_column(SurrogateKey, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Never the exception's text: it can carry URLs with tokens. See DurableQueue.
    last_error: Mapped[str | None] = mapped_column(String(MAX_ERROR_LENGTH))
    # Enqueueing twice with one key makes one job (until the job is pruned).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job this runner holds the lease of; ``attempt`` counts this run (1 = first)."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    locked_by: str


@dataclass(frozen=True, slots=True)
class StoredJob:
    """A job as operators and tests see it."""

    id: int
    kind: str
    payload: dict[str, Any]
    status: JobStatus
    attempts: int
    max_attempts: int
    run_after: datetime
    locked_by: str | None
    locked_until: datetime | None
    last_error: str | None
    dedupe_key: str | None
    created_at: datetime
    updated_at: datetime


class DurableJobStore:
    """Enqueues, claims and settles rows of ``durable_jobs``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        now: datetime,
        run_after: datetime | None = None,
        max_attempts: int = 5,
        dedupe_key: str | None = None,
    ) -> tuple[int, bool]:
        """Add a queued job; return ``(id, created)``.

        With a ``dedupe_key`` already in the table nothing is added and the
        existing job's id comes back with ``created`` False.
        """
        values = {
            "kind": kind,
            "payload": storable(payload),
            "status": JobStatus.QUEUED.value,
            "attempts": 0,
            "max_attempts": max_attempts,
            "run_after": run_after or now,
            "dedupe_key": dedupe_key,
            "created_at": now,
            "updated_at": now,
        }
        insert = dialect_insert(self._db.kind, DurableJob).values(**values)
        if dedupe_key is not None:
            insert = insert.on_conflict_do_nothing(index_elements=["dedupe_key"])
        async with self._db.transaction() as session:
            new_id = await session.scalar(insert.returning(DurableJob.id))
            if new_id is not None:
                return int(new_id), True
            existing = await session.scalar(
                select(DurableJob.id).where(DurableJob.dedupe_key == dedupe_key)
            )
        if existing is None:  # pruned between the two statements: vanishingly rare
            raise RuntimeError(f"durable job with dedupe key {dedupe_key!r} vanished")
        return int(existing), False

    async def claim(
        self,
        kinds: Collection[str],
        *,
        worker: str,
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[ClaimedJob]:
        """Take up to ``limit`` due jobs of ``kinds`` for ``worker``, oldest due first."""
        if not kinds or limit <= 0:
            return []
        if self._db.kind == "postgresql":
            return await self._claim_skip_locked(kinds, worker, now, lease, limit)
        return await self._claim_one_by_one(kinds, worker, now, lease, limit)

    async def _claim_skip_locked(
        self, kinds: Collection[str], worker: str, now: datetime, lease: timedelta, limit: int
    ) -> list[ClaimedJob]:
        # Rows another runner is claiming right now are locked: skip them, take the next.
        candidates = (
            _candidates(kinds, now, limit).with_for_update(skip_locked=True).cte("candidates")
        )
        statement = (
            update(DurableJob)
            .where(DurableJob.id == candidates.c.id)
            .values(**_claimed_values(worker, now, lease))
            .returning(DurableJob)
            .execution_options(synchronize_session=False)
        )
        async with self._db.transaction() as session:
            rows = (await session.scalars(statement)).all()
        return sorted((_claimed(row) for row in rows), key=lambda job: job.id)

    async def _claim_one_by_one(
        self, kinds: Collection[str], worker: str, now: datetime, lease: timedelta, limit: int
    ) -> list[ClaimedJob]:
        async with self._db.session() as session:
            job_ids = (await session.scalars(_candidates(kinds, now, limit))).all()
        won: list[int] = []
        for job_id in job_ids:
            # One short write per job: whoever's UPDATE still finds it due owns it.
            async with self._db.transaction() as session:
                result = await session.execute(
                    update(DurableJob)
                    .where(DurableJob.id == job_id, _due(now))
                    .values(**_claimed_values(worker, now, lease))
                    .execution_options(synchronize_session=False)
                )
            if _rowcount(result) == 1:
                won.append(job_id)
        if not won:
            return []
        async with self._db.session() as session:
            rows = (await session.scalars(select(DurableJob).where(DurableJob.id.in_(won)))).all()
        return sorted((_claimed(row) for row in rows), key=lambda job: job.id)

    async def renew(self, job: ClaimedJob, *, now: datetime, lease: timedelta) -> bool:
        """Extend the lease of a job still held; False when it was lost to another runner."""
        return await self._settle(job, now=now, locked_until=now + lease)

    async def complete(self, job: ClaimedJob, *, now: datetime) -> bool:
        """Mark a held job done; False when the lease was lost (another runner owns it now)."""
        return await self._settle(
            job, now=now, status=JobStatus.DONE.value, locked_by=None, locked_until=None,
            last_error=None,
        )  # fmt: skip

    async def retry(
        self, job: ClaimedJob, *, now: datetime, run_after: datetime, error: str
    ) -> bool:
        """Put a held job back in the queue until ``run_after``, noting why it failed."""
        return await self._settle(
            job, now=now, status=JobStatus.QUEUED.value, run_after=run_after, locked_by=None,
            locked_until=None, last_error=error[:MAX_ERROR_LENGTH],
        )  # fmt: skip

    async def bury(self, job: ClaimedJob, *, now: datetime, error: str) -> bool:
        """Move a held job to the dead-letter state, noting why."""
        return await self._settle(
            job, now=now, status=JobStatus.DEAD.value, locked_by=None, locked_until=None,
            last_error=error[:MAX_ERROR_LENGTH],
        )  # fmt: skip

    async def _settle(self, job: ClaimedJob, *, now: datetime, **values: Any) -> bool:
        async with self._db.transaction() as session:
            result = await session.execute(
                update(DurableJob)
                .where(
                    DurableJob.id == job.id,
                    DurableJob.status == JobStatus.RUNNING.value,
                    DurableJob.locked_by == job.locked_by,
                    DurableJob.attempts == job.attempt,
                )
                .values(updated_at=now, **values)
            )
        return _rowcount(result) == 1

    async def bury_abandoned(self, *, now: datetime) -> list[str]:
        """Dead-letter running jobs whose lease ran out on their last allowed attempt.

        A job that keeps killing its process would otherwise be claimed forever.
        Returns the kind of each job buried.
        """
        async with self._db.transaction() as session:
            kinds = await session.scalars(
                update(DurableJob)
                .where(
                    DurableJob.status == JobStatus.RUNNING.value,
                    DurableJob.locked_until < now,
                    DurableJob.attempts >= DurableJob.max_attempts,
                )
                .values(
                    status=JobStatus.DEAD.value,
                    locked_by=None,
                    locked_until=None,
                    last_error="lease expired on the last attempt",
                    updated_at=now,
                )
                .returning(DurableJob.kind)
                .execution_options(synchronize_session=False)
            )
            return list(kinds.all())

    async def requeue(self, job_id: int, *, now: datetime) -> bool:
        """Give a dead job a fresh set of attempts (an operator's decision)."""
        async with self._db.transaction() as session:
            result = await session.execute(
                update(DurableJob)
                .where(DurableJob.id == job_id, DurableJob.status == JobStatus.DEAD.value)
                .values(status=JobStatus.QUEUED.value, attempts=0, run_after=now, updated_at=now)
            )
        return _rowcount(result) == 1

    async def get(self, job_id: int) -> StoredJob | None:
        """One job, or None."""
        async with self._db.session() as session:
            row = await session.get(DurableJob, job_id)
        return _stored(row) if row is not None else None

    async def jobs(self, *, status: JobStatus | None = None, limit: int = 100) -> list[StoredJob]:
        """Jobs (of one status), oldest first."""
        query = select(DurableJob).order_by(DurableJob.id).limit(limit)
        if status is not None:
            query = query.where(DurableJob.status == status.value)
        async with self._db.session() as session:
            return [_stored(row) for row in await session.scalars(query)]

    async def count_by_status(self) -> dict[JobStatus, int]:
        """How many jobs are in each state (every state present, 0 when empty)."""
        query = select(DurableJob.status, func.count()).group_by(DurableJob.status)
        async with self._db.session() as session:
            rows: Sequence[Any] = (await session.execute(query)).all()
        counts = dict.fromkeys(JobStatus, 0)
        for status, count in rows:
            counts[JobStatus(status)] = int(count)
        return counts

    async def prune(self, *, done_before: datetime, dead_before: datetime) -> int:
        """Delete done jobs settled before ``done_before`` and dead ones before ``dead_before``."""
        async with self._db.transaction() as session:
            result = await session.execute(
                delete(DurableJob).where(
                    or_(
                        and_(
                            DurableJob.status == JobStatus.DONE.value,
                            DurableJob.updated_at < done_before,
                        ),
                        and_(
                            DurableJob.status == JobStatus.DEAD.value,
                            DurableJob.updated_at < dead_before,
                        ),
                    )
                )
            )
        return _rowcount(result)


def _candidates(kinds: Collection[str], now: datetime, limit: int) -> Select[tuple[int]]:
    """Ids of the due jobs of ``kinds``, oldest due first."""
    return (
        select(DurableJob.id)
        .where(DurableJob.kind.in_(kinds), _due(now))
        .order_by(DurableJob.run_after, DurableJob.id)
        .limit(limit)
    )


def _due(now: datetime) -> ColumnElement[bool]:
    """Queued and due, or running with a lease that ran out and attempts left."""
    return or_(
        and_(DurableJob.status == JobStatus.QUEUED.value, DurableJob.run_after <= now),
        and_(
            DurableJob.status == JobStatus.RUNNING.value,
            or_(DurableJob.locked_until.is_(None), DurableJob.locked_until < now),
            DurableJob.attempts < DurableJob.max_attempts,
        ),
    )


def _claimed_values(worker: str, now: datetime, lease: timedelta) -> dict[str, Any]:
    return {
        "status": JobStatus.RUNNING.value,
        "locked_by": worker,
        "locked_until": now + lease,
        "attempts": DurableJob.attempts + 1,
        "updated_at": now,
    }


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _claimed(row: DurableJob) -> ClaimedJob:
    return ClaimedJob(
        id=row.id,
        kind=row.kind,
        payload=dict(row.payload or {}),
        attempt=row.attempts,
        max_attempts=row.max_attempts,
        locked_by=row.locked_by or "",
    )


def _stored(row: DurableJob) -> StoredJob:
    return StoredJob(
        id=row.id,
        kind=row.kind,
        payload=dict(row.payload or {}),
        status=JobStatus(row.status),
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        run_after=row.run_after,
        locked_by=row.locked_by,
        locked_until=row.locked_until,
        last_error=row.last_error,
        dedupe_key=row.dedupe_key,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
