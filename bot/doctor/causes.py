"""The chain of errors behind a failed connection, for the doctor to explain the real one."""

from __future__ import annotations

__all__ = ["causes"]


def causes(exc: BaseException) -> list[BaseException]:
    """The error, the driver error a library wraps (SQLAlchemy's `orig`) and what they were
    raised from or during, outermost first, each once."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        error = pending.pop(0)
        if error is None or any(error is s for s in seen):
            continue
        seen.append(error)
        pending += [getattr(error, "orig", None), error.__cause__, error.__context__]
    return seen
