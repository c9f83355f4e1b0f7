"""Check results and how the doctor prints them: one line per check, the fix under a failure."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

__all__ = ["CheckResult", "Report", "Status"]


class Status(enum.Enum):
    """The outcome of one check; only FAIL makes the doctor exit non-zero."""

    PASS = ("✓", "OK")
    WARN = ("!", "WARN")
    FAIL = ("✗", "FAIL")
    SKIP = ("-", "SKIP")

    @property
    def symbol(self) -> str:
        """The mark printed before the check."""
        return self.value[0]

    @property
    def ascii_symbol(self) -> str:
        """The mark for a terminal that cannot print ✓ and ✗."""
        return self.value[1]


@dataclass(frozen=True)
class CheckResult:
    """What one check found and, when something is wrong, what to do about it."""

    name: str
    status: Status
    detail: str
    fix: str | None = None

    @classmethod
    def ok(cls, name: str, detail: str) -> CheckResult:
        """A check that passed."""
        return cls(name, Status.PASS, detail)

    @classmethod
    def fail(cls, name: str, detail: str, fix: str) -> CheckResult:
        """A problem that stops the bot from working, with its fix."""
        return cls(name, Status.FAIL, detail, fix)

    @classmethod
    def warn(cls, name: str, detail: str, fix: str) -> CheckResult:
        """Something optional is missing; the bot works without it."""
        return cls(name, Status.WARN, detail, fix)

    @classmethod
    def skip(cls, name: str, reason: str) -> CheckResult:
        """A check that could not run because an earlier one failed."""
        return cls(name, Status.SKIP, reason)


class Report:
    """Prints results as they arrive, with every known secret masked, and keeps the tally."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._secrets: list[str] = []
        self.results: list[CheckResult] = []
        encoding = getattr(out, "encoding", None) or "utf-8"
        try:
            "✓✗".encode(encoding)
            self._unicode = True
        except (LookupError, UnicodeEncodeError):
            self._unicode = False

    def hide(self, secrets: Iterable[str]) -> None:
        """Mask these values in everything printed from now on."""
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def line(self, text: str) -> None:
        """Print one line (masked)."""
        self._out.write(self._mask(text) + "\n")
        self._out.flush()

    def add(self, result: CheckResult) -> None:
        """Record and print one result; a fix goes on the next line."""
        self.results.append(result)
        mark = result.status.symbol if self._unicode else result.status.ascii_symbol
        self.line(f"{mark} {result.name}: {result.detail}")
        if result.fix:
            self.line(f"    fix: {result.fix}")

    @property
    def failed(self) -> list[CheckResult]:
        """The results that make the setup unusable."""
        return [r for r in self.results if r.status is Status.FAIL]

    def summary(self) -> str:
        """One closing line: all good, or how many problems."""
        warnings = sum(1 for r in self.results if r.status is Status.WARN)
        extra = f", {warnings} warning(s)" if warnings else ""
        if not self.failed:
            return f"All {len(self.results)} checks passed{extra}."
        failed = f"{len(self.failed)} of {len(self.results)} checks failed{extra}"
        return f"{failed}: fix them and run again."

    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "********")
        return text
