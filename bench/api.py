"""Benchmark: the HTTP server under load from a second process, and what that load costs /play.

The real bot (`bot.app.MusicBot`) runs in this process against the fake Discord
and fake Lavalink of `tests/fakes` (the e2e harness), with its HTTP server on a
free port of 127.0.0.1 and one guild playing. A second process (this script
with `--client`) opens `--concurrency` keep-alive connections with aiohttp and
sends requests back to back for `--seconds` to one path; it prints requests
per second and latency percentiles.

For each of `/health`, `/metrics` and `GET /api/v1/guilds/{id}/player` (with a
read key): the load runs while this process sends `/play` slash commands
through the fake Discord one after the other, timing each from dispatch to
answer. The same `/play` series without load is the reference; the table shows
what the load adds to its p99. The fakes share the bot's event loop, so their
work is part of every figure.

Run: `.venv/bin/python bench/api.py [--seconds 5] [--concurrency 32] [--plays 200] [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._results import record  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values`."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


# -- the load, in its own process -------------------------------------------------


async def client(url: str, concurrency: int, seconds: float, token: str | None) -> dict[str, Any]:
    """Hammer `url` from `concurrency` connections for `seconds`; latency in ms."""
    import aiohttp

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while (began := time.perf_counter()) < deadline:
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append((time.perf_counter() - began) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
    }


# -- the bot, in this process -------------------------------------------------------


async def play_series(h: Any, count: int, start: int) -> list[float]:
    """`count` /play commands one after the other; each one's time to answer, in ms."""
    from tests.e2e.harness import answer

    times = []
    for n in range(start, start + count):
        began = time.perf_counter()
        await answer(await h.slash("play", query=f"https://example.com/p{n}"))
        times.append((time.perf_counter() - began) * 1000)
    return times


async def under_load(
    path: str, base: str, token: str | None, args: argparse.Namespace, h: Any, start: int
) -> tuple[dict[str, Any], list[float]]:
    """Run the client process on `path` and a /play series while it runs."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--client",
        base + path,
        "--concurrency",
        str(args.concurrency),
        "--seconds",
        str(args.seconds),
        *(["--token", token] if token else []),
        stdout=asyncio.subprocess.PIPE,
    )
    await asyncio.sleep(min(0.5, args.seconds / 4))  # let the client connect and ramp up
    plays = await play_series(h, args.plays, start)
    out, _ = await process.communicate()
    return json.loads(out), plays


async def run(args: argparse.Namespace) -> int:
    """Start the bot, measure, print the table."""
    from bot.db.api_keys import ApiKeyStore, KeyScope
    from bot.log import setup_logging
    from bot.settings import LoggingSettings
    from tests.e2e.harness import harness

    class Discard:
        def write(self, _text: str) -> None:
            pass

    with tempfile.TemporaryDirectory() as tmp:
        async with harness(Path(tmp), start=False) as h:
            # INFO, as in production: the access log's cost is part of every request.
            setup_logging(LoggingSettings(level="INFO"), stream=Discard())
            await h.start(
                api={"enabled": True, "port": 0, "requests_per_minute": 10**9},
                guild_defaults={"max_queue_length": 10_000},
            )
            warm_up = 10  # the first commands pay for joining voice and cold caches
            total = args.plays * 4 + 2 + warm_up
            for n in range(total):
                h.lavalink.add_track(
                    title=f"P{n}",
                    author="Bench",
                    length=600_000,
                    identifier=f"p{n}",
                    uri=f"https://example.com/p{n}",
                )
            await h.join()
            port = h.bot.get_cog("api").port  # type: ignore[union-attr]
            base = f"http://127.0.0.1:{port}"
            assert h.bot.db is not None
            issued = await ApiKeyStore(h.bot.db).create(
                guild_id=h.world.guild.id, scope=KeyScope.READ
            )
            await play_series(h, warm_up, args.plays * 4 + 2)
            idle = await play_series(h, args.plays, 0)
            targets = [
                ("/health", "/health", None),
                ("/metrics", "/metrics", None),
                ("GET player", f"/api/v1/guilds/{h.world.guild.id}/player", issued.token),
            ]
            rows = []
            for i, (label, path, token) in enumerate(targets):
                load, plays = await under_load(path, base, token, args, h, args.plays * (i + 1))
                rows.append((label, load, plays))
    print(
        f"\nHTTP load from a second process: {args.concurrency} connections, "
        f"{args.seconds:g}s per path; /play by Discord: {args.plays} commands in series.\n"
    )
    print(
        f"{'path':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
        f"   {'/play p99 ms':>12} {'added':>8}"
    )
    idle_p99 = percentile(idle, 99)
    print(f"{'(no load)':<12} {'':>8} {'':>8} {'':>8} {'':>7}   {idle_p99:>12.1f} {'':>8}")
    for label, load, plays in rows:
        p99 = percentile(plays, 99)
        print(
            f"{label:<12} {load['rps']:>8.0f} {load['p50']:>8.2f} {load['p99']:>8.2f} "
            f"{load['errors']:>7}   {p99:>12.1f} {p99 - idle_p99:>+8.1f}"
        )
        record(
            "api",
            f"{label}: throughput, p50 / p99 ({args.concurrency} connections)",
            f"{load['rps']:,.0f} req/s, {load['p50']:.2f} / {load['p99']:.2f} ms"
            + (f", {load['errors']} errors" if load["errors"] else ""),
        )
        record(
            "api",
            f"/play p99 by Discord under the {label} load (added to idle)",
            f"{p99:.1f} ms ({p99 - idle_p99:+.1f} ms)",
        )
    record("api", "/play p99 while idle (context)", f"{idle_p99:.1f} ms")
    failed = any(load["errors"] for _, load, _ in rows)
    return 1 if failed else 0


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--plays", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="2 s, 16 connections, 20 plays")
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        result = asyncio.run(client(args.client, args.concurrency, args.seconds, args.token))
        print(json.dumps(result))
        return
    if args.quick:
        args.seconds, args.concurrency, args.plays = 2.0, 16, 20
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
