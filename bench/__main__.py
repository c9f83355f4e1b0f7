"""`python -m bench`: run every benchmark of the project, one after the other, and sum up.

Each `bench/<name>.py` is a standalone script that prints its own figures; this
runner starts each one in a fresh interpreter (so one benchmark's memory or
event loop cannot skew the next), shows its output under a heading, and ends
with one table: benchmark, outcome and wall time. `--quick` passes `--quick` to
the benchmarks that take it (smaller runs, same shape). Arguments after `--`
go to every benchmark, e.g. `python -m bench --only bus -- --messages 1000`.

Run from the repository root: `.venv/bin/python -m bench [--quick] [--only NAME ...]`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


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


def run(script: Path, quick: bool, extra: list[str], timeout: float) -> Outcome:
    """Run one benchmark with its output going straight to ours."""
    args = [sys.executable, str(script), *(["--quick"] if quick and takes_quick(script) else [])]
    print(f"\n=== {script.stem}: {' '.join(Path(a).name for a in args[1:])} {' '.join(extra)}")
    sys.stdout.flush()
    start = time.perf_counter()
    try:
        code = subprocess.run([*args, *extra], cwd=ROOT, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        print(f"{script.stem}: stopped after {timeout:.0f} s")
        code = -1
    return Outcome(script.stem, code, time.perf_counter() - start)


def summary(outcomes: list[Outcome]) -> str:
    """The closing table."""
    lines = ["", f"{'benchmark':<16}{'outcome':<10}{'seconds':>9}"]
    lines += [f"{o.name:<16}{o.status:<10}{o.seconds:>9.1f}" for o in outcomes]
    total = sum(o.seconds for o in outcomes)
    lines.append(f"{'total':<26}{total:>9.1f}")
    return "\n".join(lines)


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
    outcomes = [run(script, args.quick, extra, args.timeout) for script in scripts]
    print(summary(outcomes))
    return 0 if all(o.code == 0 for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
