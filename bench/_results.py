"""Figures a benchmark hands to `python -m bench` for its one table and `bench/RESULTS.md`.

A benchmark prints its own detailed report; with `BENCH_RESULTS` set (the
runner sets it) each `record` also appends one JSON line there: which
benchmark, what was measured, and the number as it should be read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["ENV", "record"]

ENV = "BENCH_RESULTS"


def record(benchmark: str, metric: str, value: str) -> None:
    """Report one figure (no-op when the benchmark runs on its own)."""
    path = os.environ.get(ENV)
    if not path:
        return
    line = json.dumps({"benchmark": benchmark, "metric": metric, "value": value})
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(line + "\n")
