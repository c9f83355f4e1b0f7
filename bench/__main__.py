"""`python -m bench`: run every benchmark of the project, one after the other, and sum up.

Each `bench/<name>.py` is a standalone script that prints its own detailed
report; this runner starts each one in a fresh interpreter (so one benchmark's
memory or event loop cannot skew the next) and shows its output under a
heading. The benchmarks also hand their headline figures to the runner
(`bench/_results.py`), which ends with ONE table of all of them, plus each
benchmark's outcome and wall time, and writes the same as Markdown to
`bench/RESULTS.md` with the date, the commit and the machine (not with
`--only`, unless `--write`). The soak runs its quick form (1 minute) unless
`--soak-minutes` says otherwise; `--quick` passes `--quick` to every benchmark
that takes it. Arguments after `--` go to every benchmark, e.g.
`python -m bench --only bus -- --messages 1000`.

Run from the repository root: `.venv/bin/python -m bench [--quick] [--only NAME ...]`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_MD = BENCH_DIR / "RESULTS.md"
RESULTS_ENV = "BENCH_RESULTS"  # bench/_results.py appends one JSON line per figure here
SOAK_QUICK = ["--quick"]  # a full soak is 10 minutes: the whole run stays under 10


@dataclass(frozen=True)
class Figure:
    """One number a benchmark reported."""

    benchmark: str
    metric: str
    value: str


@dataclass(frozen=True)
class Outcome:
    """How one benchmark run went."""

    name: str
    code: int
    seconds: float

    @property
    def status(self) -> str:
        """ok, or the exit code."""
        return "ok" if self.code == 0 else f"exit {self.code}"


def benchmarks() -> list[Path]:
    """Every benchmark script in bench/, by name."""
    return sorted(p for p in BENCH_DIR.glob("*.py") if not p.name.startswith("_"))


def takes_quick(script: Path) -> bool:
    """Whether the script declares a --quick option."""
    return '"--quick"' in script.read_text()


def options(script: Path, quick: bool, soak_minutes: float | None) -> list[str]:
    """The arguments the runner gives a benchmark of its own accord."""
    if script.stem == "soak":
        return ["--minutes", f"{soak_minutes:g}"] if soak_minutes is not None else SOAK_QUICK
    return ["--quick"] if quick and takes_quick(script) else []


def run(script: Path, own: list[str], extra: list[str], timeout: float, results: Path) -> Outcome:
    """Run one benchmark with its output going straight to ours."""
    args = [sys.executable, str(script), *own, *extra]
    print(f"\n=== {script.stem}: {' '.join([script.name, *own, *extra])}")
    sys.stdout.flush()
    start = time.perf_counter()
    env = {**os.environ, RESULTS_ENV: str(results)}
    try:
        code = subprocess.run(args, cwd=ROOT, timeout=timeout, env=env).returncode
    except subprocess.TimeoutExpired:
        print(f"{script.stem}: stopped after {timeout:.0f} s")
        code = -1
    return Outcome(script.stem, code, time.perf_counter() - start)


def read_figures(path: Path) -> list[Figure]:
    """What the benchmarks reported, in order."""
    if not path.exists():
        return []
    return [Figure(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def table(figures: list[Figure], outcomes: list[Outcome]) -> list[tuple[str, str, str]]:
    """Every figure, then each benchmark's outcome and wall time: (benchmark, what, number)."""
    rows = [(f.benchmark, f.metric, f.value) for f in figures]
    for o in outcomes:
        rows.append((o.name, "outcome, wall time", f"{o.status}, {o.seconds:.0f} s"))
    rows.append(("total", "wall time", f"{sum(o.seconds for o in outcomes):.0f} s"))
    return rows


def summary(rows: list[tuple[str, str, str]]) -> str:
    """The closing table, for the terminal."""
    width = max((len(what) for _, what, _ in rows), default=10)
    lines = ["", f"{'benchmark':<10}{'what':<{width + 2}}number"]
    lines += [f"{name:<10}{what:<{width + 2}}{number}" for name, what, number in rows]
    return "\n".join(lines)


def machine() -> list[str]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    with_cpuinfo = Path("/proc/cpuinfo")
    if with_cpuinfo.exists():
        for line in with_cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"{cpu}, {os.cpu_count()} CPUs{memory}; load average before the run {load}",
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        f"Redis {_version(['redis-server', '--version'])}, "
        f"PostgreSQL {_version(['psql', '--version'])}",
    ]


def _version(command: list[str]) -> str:
    try:
        text = subprocess.run(command, capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    words = [w.removeprefix("v=") for w in text.split()]
    return next((w for w in words if w[:1].isdigit()), "unknown")


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def markdown(rows: list[tuple[str, str, str]], command: str, started: datetime) -> str:
    """bench/RESULTS.md: when, where, how, then the table."""
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC at commit {_commit()}; "
        "run it to measure your machine. Each benchmark's own output has more detail "
        "(see the docstrings in `bench/`). The bot runs against the fakes of `tests/fakes` on "
        "127.0.0.1; Redis and PostgreSQL are real local servers.",
        "",
        "Machine:",
        "",
        *[f"* {line}" for line in machine()],
        "",
        "| benchmark | what | number |",
        "|---|---|---|",
        *[f"| {name} | {_cell(what)} | {_cell(number)} |" for name, what, number in rows],
        "",
    ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the chosen benchmarks, print the table; 1 if any failed."""
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs where supported")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per benchmark")
    parser.add_argument(
        "--soak-minutes", type=float, help="length of the soak (default: its 1-minute --quick)"
    )
    parser.add_argument("--write", action="store_true", help="write bench/RESULTS.md with --only")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args(own)
    scripts = benchmarks()
    if args.list:
        for script in scripts:
            print(f"{script.stem}{'  (--quick)' if takes_quick(script) else ''}")
        return 0
    if args.only:
        unknown = set(args.only) - {s.stem for s in scripts}
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
        scripts = [s for s in scripts if s.stem in args.only]
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        results = Path(tmp) / "results.jsonl"
        outcomes = []
        for script in scripts:
            own_args = options(script, args.quick, args.soak_minutes)
            outcomes.append(run(script, own_args, extra, args.timeout, results))
        rows = table(read_figures(results), outcomes)
    print(summary(rows))
    if (args.write or not args.only) and not args.no_write:
        command = " ".join(["python -m bench", *(argv or [])])
        RESULTS_MD.write_text(markdown(rows, command, started))
        print(f"\nwritten to {RESULTS_MD.relative_to(ROOT)}")
    return 0 if all(o.code == 0 for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
