"""Benchmark: search latency cached vs uncached, and Lavalink requests made by autocomplete.

The real bot (`bot.app.MusicBot`) runs in this process against the fake Discord
and fake Lavalink of `tests/fakes`, started with the e2e harness. The fake
answers a search in about a millisecond; `--lavalink-delay` adds a delay to
every `/v4/loadtracks` reply to stand in for a real YouTube search (typically
a few hundred ms), and the latencies are measured both without and with it.

1. Search latency: `Search` commands through the audio side's real path
   (`bus.request(Channel.COMMANDS, Search(...))` → loader → search cache →
   Lavalink), for `--queries` distinct queries (uncached: each one a
   `/v4/loadtracks` request), then the same queries again (cached). Also
   `--burst` identical searches at once, to show single-flight.
2. Autocomplete: `--keystrokes` autocomplete interactions sent through the
   fake Discord's gateway, as `--typists` members type song names letter by
   letter at once (80-250 ms between keys, sometimes a longer pause within a
   query, 1-2 s between queries; seeded, so runs are comparable), counting the
   `/v4/loadtracks` requests the fake Lavalink receives. Run twice: with the
   autocomplete gate off (every keystroke searched, only the cache helps) and
   with the shipped `[search]` defaults (3 characters, 0.3 s debounce, 5
   Lavalink searches per user per 10 s).

Run: `.venv/bin/python bench/search.py [--queries 200] [--keystrokes 1000]
[--typists 10] [--lavalink-delay 0.25] [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mafic  # noqa: E402

from bench._results import record  # noqa: E402
from bot.audio_commands import Search  # noqa: E402
from bot.bus import Channel  # noqa: E402
from bot.log import setup_logging  # noqa: E402
from bot.settings import LoggingSettings  # noqa: E402
from tests.e2e.harness import Harness, harness  # noqa: E402

ARTISTS = [
    "Daft Punk",
    "Queen",
    "Rick Astley",
    "a-ha",
    "Darude",
    "The Weeknd",
    "Dua Lipa",
    "Adele",
    "Toto",
    "Eminem",
    "Coldplay",
    "Radiohead",
    "Billie Eilish",
    "Arctic Monkeys",
    "ABBA",
]
SONGS = [
    "one more time",
    "bohemian rhapsody",
    "never gonna give you up",
    "take on me",
    "sandstorm",
    "blinding lights",
    "levitating",
    "someone like you",
    "africa",
    "lose yourself",
    "yellow",
    "creep",
    "bad guy",
    "do i wanna know",
    "dancing queen",
    "around the world",
    "under pressure",
    "harder better faster stronger",
    "rolling in the deep",
    "the scientist",
]
DELAYED_QUERIES = 50
GATE_OFF = {
    "autocomplete_min_chars": 1,
    "autocomplete_debounce_s": 0.0,
    "autocomplete_searches_per_user_per_10s": 1_000_000,
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def describe(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5):7.2f} ms  p95 {percentile(values, 0.95):7.2f} ms"
        f"  mean {statistics.fmean(values):7.2f} ms"
    )


def loadtracks(h: Harness, since: int = 0) -> int:
    return sum(1 for r in h.lavalink.requests[since:] if r.path == "/v4/loadtracks")


def artist_of(song: int) -> str:
    return ARTISTS[song % len(ARTISTS)]


def add_song(h: Harness, title: str, artist: str, n: int) -> None:
    """A song by its artist plus a re-upload and a nightcore edit, so ranking has work."""
    h.lavalink.add_track(title=f"Nightcore - {title}", author="Nightcore Tunes")
    h.lavalink.add_track(title=f"{artist} - {title}", author="Music Uploads")
    h.lavalink.add_track(title=title, author=f"{artist} - Topic", isrc=f"XX{n:010d}")


def fill_catalogue(h: Harness, takes: int = 0) -> list[str]:
    """Every song, plus `takes` numbered versions; returns one findable query per take."""
    queries = []
    for i, song in enumerate(SONGS):
        add_song(h, song.title(), artist_of(i), i)
    for n in range(takes):
        song = SONGS[n % len(SONGS)]
        add_song(h, f"{song.title()} (Take {n})", artist_of(n), n)
        queries.append(f"{song} take {n}")
    return queries


# -- 1. latency -----------------------------------------------------------------------------


async def search_once(h: Harness, query: str, user_id: int = 1) -> float:
    guild_id = h.world.guild.id
    started = time.perf_counter()
    await h.bot.bus.request(
        Channel.COMMANDS,
        Search(guild_id=guild_id, user_id=user_id, query=query, limit=10),
        timeout=30,
    )
    return (time.perf_counter() - started) * 1000


async def latency(h: Harness, queries: list[str], label: str) -> None:
    since = h.mark()
    uncached = [await search_once(h, q) for q in queries]
    misses = loadtracks(h, since)
    since = h.mark()
    cached = [await search_once(h, q) for q in queries]
    hits_requests = loadtracks(h, since)
    print(f"  {label}")
    print(f"    uncached  {describe(uncached)}  ({misses} loadtracks for {len(queries)})")
    print(f"    cached    {describe(cached)}  ({hits_requests} loadtracks for {len(queries)})")
    record(
        "search",
        f"search p50, uncached vs cached ({label})",
        f"{percentile(uncached, 0.5):.2f} vs {percentile(cached, 0.5):.2f} ms",
    )


async def burst(h: Harness, size: int, delay: float) -> None:
    h.lavalink.slow_responses(max(delay, 0.05), "loadtracks")
    since = h.mark()
    times = await asyncio.gather(
        *(search_once(h, f"{SONGS[1]} {artist_of(1)}", user_id=i) for i in range(size))
    )
    h.lavalink.clear_faults()
    print(
        f"  {size} identical searches at once: {loadtracks(h, since)} loadtracks request(s),"
        f" slowest answer {max(times):.0f} ms"
    )


# -- 2. autocomplete ------------------------------------------------------------------------


@dataclass
class Typing:
    keystrokes: int = 0
    answered: int = 0
    with_choices: int = 0
    failures: int = 0


async def typist(h: Harness, member: Any, budget: int, rng: random.Random, out: Typing) -> None:
    pending: list[asyncio.Task[list[dict[str, Any]]]] = []
    typed = 0
    while typed < budget:
        song = rng.randrange(len(SONGS))
        query = f"{SONGS[song]} {artist_of(song).lower()}"[: rng.randint(8, 28)]
        for end in range(1, len(query) + 1):
            if typed >= budget:
                break
            pending.append(
                asyncio.create_task(
                    h.discord.autocomplete(
                        "play",
                        "query",
                        query[:end],
                        user=member,
                        guild=h.world.guild,
                        channel=h.world.text,
                        timeout=10,
                    )
                )
            )
            typed += 1
            pause = rng.uniform(0.08, 0.25)
            if query[end - 1] == " " and rng.random() < 0.15:
                pause += rng.uniform(0.3, 0.8)  # thinking of the next word
            await asyncio.sleep(pause)
        await asyncio.sleep(rng.uniform(1.0, 2.0))  # picks a choice, starts the next search
    for result in await asyncio.gather(*pending, return_exceptions=True):
        out.keystrokes += 1
        if isinstance(result, BaseException):
            out.failures += 1
            continue
        out.answered += 1
        out.with_choices += bool(result)


async def autocomplete_run(
    tmp: Path, args: argparse.Namespace, label: str, search: dict[str, Any]
) -> None:
    async with harness(tmp / label.replace(" ", "-"), start=False) as h:
        members = [h.world.guild.add_member(f"typist{i}") for i in range(args.typists)]
        fill_catalogue(h)
        await h.start(search=search)
        since = h.mark()
        out = Typing()
        share, extra = divmod(args.keystrokes, args.typists)
        started = time.monotonic()
        await asyncio.gather(
            *(
                typist(h, m, share + (i < extra), random.Random(args.seed + i), out)
                for i, m in enumerate(members)
            )
        )
        seconds = time.monotonic() - started
        requests = loadtracks(h, since)
        print(
            f"  {label:34} {out.keystrokes} keystrokes in {seconds:.0f} s →"
            f" {requests:4} loadtracks ({requests / max(out.keystrokes, 1):.3f} per keystroke);"
            f" {out.with_choices} answers had choices"
            + (f"; {out.failures} FAILED" if out.failures else "")
        )
        per_1000 = requests * 1000 / max(out.keystrokes, 1)
        record(
            "search",
            f"Lavalink requests per 1,000 autocomplete keystrokes ({label})",
            f"{per_1000:.0f} (measured: {requests} for {out.keystrokes})",
        )


async def run(args: argparse.Namespace) -> int:
    setup_logging(LoggingSettings(level="WARNING"), stream=io.StringIO())
    warnings.filterwarnings("ignore", category=mafic.warnings.UnsupportedVersionWarning)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        async with harness(Path(tmp) / "latency", start=False) as h:
            queries = fill_catalogue(h, takes=args.queries + DELAYED_QUERIES)
            rng.shuffle(queries)
            queries, delayed = queries[: args.queries], queries[args.queries :]
            await h.start()
            await search_once(h, SONGS[0])
            print(f"Search latency through the audio side ({args.queries} distinct queries):")
            await latency(h, queries, "fake Lavalink as is (~1 ms per search)")
            if args.lavalink_delay > 0:
                h.lavalink.slow_responses(args.lavalink_delay, "loadtracks")
                await latency(
                    h, delayed, f"with {args.lavalink_delay * 1000:.0f} ms added per loadtracks"
                )
                h.lavalink.clear_faults()
            await burst(h, args.burst, args.lavalink_delay)
        print(
            f"Autocomplete: {args.keystrokes} keystrokes by {args.typists} members typing at once"
            f" (one request per keystroke would be {args.keystrokes}):"
        )
        await autocomplete_run(Path(tmp), args, "gate off (cache only)", GATE_OFF)
        await autocomplete_run(Path(tmp), args, "shipped [search] defaults", {})
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=200, help="distinct search queries")
    parser.add_argument("--keystrokes", type=int, default=1000, help="autocomplete keystrokes")
    parser.add_argument("--typists", type=int, default=10, help="members typing at once")
    parser.add_argument("--burst", type=int, default=50, help="identical searches at once")
    parser.add_argument(
        "--lavalink-delay", type=float, default=0.25, help="seconds added per loadtracks reply"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="50 queries, 300 keystrokes")
    args = parser.parse_args()
    if args.quick:
        args.queries, args.keystrokes = 50, 300
    if min(args.queries, args.keystrokes, args.typists, args.burst) < 1:
        parser.error("--queries, --keystrokes, --typists and --burst must be at least 1")
    for key in [k for k in os.environ if k.startswith("BOT_")]:
        del os.environ[key]  # like tests/conftest.py: the bench's settings come from the harness
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
