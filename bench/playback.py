"""Benchmark: /play latency with many guilds playing, and memory per guild with full queues.

The real bot (`bot.app.MusicBot`) runs in this process against the fake Discord
and fake Lavalink of `tests/fakes`, started with the e2e harness
(`tests.e2e.harness`), once per measurement. Everything shares one event loop
and one heap, so the fakes' own work is part of every number; the /ping
reference, measured the same way and interleaved with /play, gives the scale.

1. /play latency: INTERACTION_CREATE dispatched by the fake -> the bot's first
   interaction callback (POST /interactions/{id}/{token}/callback) received by
   the fake. The dispatch time is the fake's own record (`Interaction.created`,
   taken just before the gateway dispatch); the fake keeps no arrival time for
   the callback, so this script hooks `_callback` on the FakeDiscord instance
   (the fake's code is unchanged) and stamps the arrival with the same clock.
   `--guilds` guilds each play a track; /play of a catalogue URL
   (`https://example.com/t/<n>`, no search ranking) and /ping alternate,
   round-robin across the guilds, one at a time and in bursts of `--batch`.
   Each guild has enough members in voice that nobody hits the per-user limit.
2. Memory: RSS (VmRSS) before and after filling guilds with a 100-track
   playlist each through the audio side's real path
   (`bus.request(Channel.COMMANDS, Play(...))`: load, join voice through the
   fake gateway, start the first track on the fake Lavalink), in a bot of its
   own that runs first. Each voice join is a gateway send and discord.py allows
   110 a minute per shard, so it fills what fits in `--memory-seconds` and
   extrapolates to `--memory-guilds`. Also prints the deep size of the bot's
   own GuildSession per guild; `--attribute` adds a tracemalloc breakdown.

The bot's log goes to a buffer (WARNING and up) and is summarised at the end.
Run: `.venv/bin/python bench/playback.py [--guilds 100] [--commands 1000]
[--memory-guilds 1000] [--batch 50] [--memory-seconds 60] [--quick] [--attribute]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import io
import math
import os
import re
import resource
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mafic  # noqa: E402

from bench._results import record  # noqa: E402
from bot.audio_commands import Play  # noqa: E402
from bot.bus import Channel  # noqa: E402
from bot.log import setup_logging  # noqa: E402
from bot.settings import LoggingSettings  # noqa: E402
from tests.e2e.harness import GuildWorld, Harness, build_guild, harness  # noqa: E402

if TYPE_CHECKING:
    from tests.fakes.discord import FakeDiscord
    from tests.fakes.discord_handle import Interaction
    from tests.fakes.discord_models import Member

EPHEMERAL, LOADING = 1 << 6, 1 << 7  # Discord message flags
RATE_LIMIT_PER_USER = 8  # LimitsSettings.commands_per_user_per_10s default; kept as is
PLAYLIST_URL = "https://example.com/pl/bench-100"
PLAYLIST_TRACKS = 100
WAIT = 30.0
RESTART_WAIT = 90.0  # every guild rejoins voice: ~110 gateway sends a minute per shard
GATEWAY_MARGIN = 3  # gateway sends left unused for the bot's own needs
WARM_UP_GUILDS = 3  # memory: filled before the "before" reading


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_kib() -> int:
    """Resident set size now (VmRSS), in KiB; peak RSS if /proc is not there."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _malloc_trim() -> None:
    """Give free C-heap pages back to the OS (glibc), so RSS tracks live memory closer."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def settled_rss() -> int:
    gc.collect()
    _malloc_trim()
    return rss_kib()


def deep_size(obj: Any, seen: set[int] | None = None) -> int:
    """Bytes of `obj` and what it holds: containers, the bot's own objects (attributes and
    slots), strings, numbers, datetimes; anything else (tasks, locks, enums) counts shallow."""
    seen = set() if seen is None else seen
    if id(obj) in seen or obj is None or isinstance(obj, (bool, type, Enum)):
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, (str, bytes, int, float, datetime)):
        return size
    if isinstance(obj, dict):
        return size + sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return size + sum(deep_size(v, seen) for v in obj)
    if type(obj).__module__.startswith(("bot.", "cogs.")):
        names = set(getattr(obj, "__dict__", {}))
        for klass in type(obj).__mro__:
            names.update(getattr(klass, "__slots__", ()))
        if hasattr(obj, "__dict__"):
            size += sys.getsizeof(obj.__dict__)
        return size + sum(deep_size(getattr(obj, n, None), seen) for n in names
                          if n not in ("__dict__", "__weakref__"))
    return size


class GcPauses:
    """Every cyclic-GC pause in the process (bot and fakes share the heap and the loop)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float, int]] = []  # (start, seconds, generation)
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.monotonic()
        else:
            self.pauses.append((self._start, time.monotonic() - self._start,
                                info["generation"]))

    def between(self, began: float, ended: float) -> list[tuple[float, float, int]]:
        return [p for p in self.pauses if began <= p[0] <= ended]


# -- timing hooks on the fake --------------------------------------------------------------


class CallbackClock:
    """Stamps when the fake receives each interaction's first callback and when the
    original response becomes final (not "thinking"), with `time.monotonic` like
    `Interaction.created`. Installed on the instance; the fake's code is unchanged."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.callback_at: dict[int, float] = {}
        self.final_at: dict[int, float] = {}
        self.rejected: dict[int, str] = {}
        self._waiters: dict[tuple[str, int], asyncio.Future[None]] = {}
        original_callback = fake._callback

        def callback(rec: Any, inter: Interaction) -> Any:
            arrived = time.monotonic()
            try:
                out = original_callback(rec, inter)
            except Exception as exc:
                self.rejected[inter.id] = repr(exc)
                self._wake("callback", inter.id)
                self._wake("final", inter.id)
                raise
            self.callback_at[inter.id] = arrived
            self._wake("callback", inter.id)
            self._check_final(inter)
            return out

        fake._callback = callback  # type: ignore[method-assign]
        for name in ("_r_followup", "_r_webhook_edit", "_r_webhook_delete"):
            setattr(fake, name, self._after(getattr(fake, name)))

    def _after(self, handler: Any) -> Any:
        async def hooked(rec: Any, **kw: Any) -> Any:
            try:
                return await handler(rec, **kw)
            finally:
                inter = self.fake.interactions_by_token.get(kw.get("token", ""))
                if inter is not None:
                    self._check_final(inter)

        return hooked

    def _check_final(self, inter: Interaction) -> None:
        """Final: the original response is there and not "thinking", or the bot gave up on
        it (deleted it, or answered with a follow-up, as the error path does)."""
        if inter.id in self.final_at or inter.original_id is None:
            return
        msg = self.fake.message(inter.original_id)
        if (msg is not None and not msg["flags"] & LOADING) or any(
                r.kind in ("followup", "delete_original") for r in inter.responses):
            self.final_at[inter.id] = time.monotonic()
            self._wake("final", inter.id)

    def _wake(self, kind: str, iid: int) -> None:
        fut = self._waiters.pop((kind, iid), None)
        if fut is not None and not fut.done():
            fut.set_result(None)

    async def wait(self, kind: str, inter: Interaction, timeout: float = WAIT) -> None:
        done = self.callback_at if kind == "callback" else self.final_at
        if inter.id in done or inter.id in self.rejected:
            return
        fut = self._waiters.setdefault((kind, inter.id),
                                       asyncio.get_running_loop().create_future())
        await asyncio.wait_for(fut, timeout)

    def latency_ms(self, inter: Interaction) -> float | None:
        at = self.callback_at.get(inter.id)
        return None if at is None else (at - inter.created) * 1000

    def final_ms(self, inter: Interaction) -> float | None:
        at = self.final_at.get(inter.id)
        return None if at is None else (at - inter.created) * 1000


# -- driving the bot ------------------------------------------------------------------------


@dataclass
class Listeners:
    """A guild and the members in its voice channel who run commands, in turn."""

    world: GuildWorld
    members: list[Member]
    turn: int = 0

    def next(self) -> Member:
        member = self.members[self.turn % len(self.members)]
        self.turn += 1
        return member


@dataclass
class Series:
    """Latencies of one command in one mode."""

    name: str
    callback_ms: list[float] = field(default_factory=list)
    final_ms: list[float] = field(default_factory=list)
    outside_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    began: float = 0.0
    ended: float = 0.0

    @property
    def seconds(self) -> float:
        return self.ended - self.began

    @property
    def count(self) -> int:
        return len(self.callback_ms) + sum(self.errors.values())


class Driver:
    """What both measurements need from a started harness."""

    def __init__(self, h: Harness, args: argparse.Namespace) -> None:
        self.h = h
        self.args = args

    def _gateway_room(self) -> tuple[int, float]:
        """discord.py's gateway send budget on shard 0: (sends left, seconds until it refills).

        Discord allows 120 gateway sends per 60 s per connection; discord.py's
        GatewayRatelimiter keeps 110 of them for commands, and every voice join is one
        (op 4). When it is used up, the next send waits for the window to end."""
        shard = self.h.bot.get_shard(0)
        limiter = getattr(getattr(getattr(shard, "_parent", None), "ws", None), "_rate_limiter",
                          None)
        if limiter is None:  # discord.py internals moved: fall back to the public yes/no
            return (0, 1.0) if self.h.bot.is_ws_ratelimited() else (110, 0.0)
        now = time.time()
        if now > limiter.window + limiter.per:
            return limiter.max, 0.0
        return limiter.remaining, limiter.window + limiter.per - now

    async def gateway_room(self, needed: int, in_flight: int = 0,
                           deadline: float | None = None) -> bool:
        """Wait until `needed` more voice joins fit in the gateway budget; False if that
        would be after `deadline` (monotonic)."""
        while True:
            left, refill = self._gateway_room()
            if left - in_flight >= needed + GATEWAY_MARGIN:
                return True
            if deadline is not None and time.monotonic() + min(refill, 0.2) >= deadline:
                return False
            await asyncio.sleep(0.2)  # discord.py's limiter has no event to wait on

    async def settle(self, timeout: float = 120.0) -> float:
        """Let the background saver write what changed (it holds snapshots while dirty),
        bus requests finish and the now-playing messages go out; returns seconds."""
        began = time.monotonic()
        audio = self.h.bot.get_cog("audio")
        persistence = getattr(audio, "persistence", None)
        bus = self.h.bot.bus
        # private state, read only: queues not yet saved, bus requests still running
        while getattr(persistence, "_dirty", None) or getattr(bus, "_inflight", None):
            if time.monotonic() - began > timeout:
                break
            await asyncio.sleep(0.1)
        await bus.drain()
        await asyncio.sleep(2.0)  # now-playing edits are throttled to one per 1.5 s
        return time.monotonic() - began


class PublishWatch:
    """Times `bus.publish` on the command channel (bus.request publishes each command to the
    channel's subscribers before it waits for the answer) and the subscribers' backlog."""

    def __init__(self, bus: Any) -> None:
        self.blocked_ms: list[float] = []
        self.backlog: Counter[str] = Counter()
        publish = bus.publish

        async def timed(channel: Channel, message: Any) -> int:
            if channel is not Channel.COMMANDS:
                return await publish(channel, message)
            for sub in getattr(bus, "_subscriptions", {}).get(channel, ()):
                name = getattr(sub, "name", "?")
                self.backlog[name] = max(self.backlog[name], sub.queue.qsize())
            t0 = time.monotonic()
            try:
                return await publish(channel, message)
            finally:
                self.blocked_ms.append((time.monotonic() - t0) * 1000)

        bus.publish = timed


class LatencyBench(Driver):
    """/play and /ping through the fake gateway in guilds that are all playing."""

    def __init__(self, h: Harness, args: argparse.Namespace) -> None:
        super().__init__(h, args)
        self.clock = CallbackClock(h.discord)
        self.guilds: list[Listeners] = []
        self.track_urls: Iterator[str] = iter(())

    def build_world(self) -> None:
        """`--guilds` guilds (h.world first) with enough listeners that nobody hits the
        per-user rate limit, and a catalogue track for every /play."""
        a = self.args
        per_guild = 1 + 4 * math.ceil(a.commands / a.guilds) + math.ceil(a.warmup / a.guilds)
        members = max(2, math.ceil(per_guild / RATE_LIMIT_PER_USER))
        worlds = [self.h.world] + [build_guild(self.h.discord, f"Guild {i}")
                                   for i in range(1, a.guilds)]
        self.h.extra_guilds = worlds[1:]
        for w in worlds:
            extra = [w.guild.add_member(f"listener{k}") for k in range(members - 2)]
            self.guilds.append(Listeners(w, [w.alice, w.bob, *extra]))
        n_tracks = a.guilds + 2 * a.commands
        for n in range(1, n_tracks + 1):
            self.h.lavalink.add_track(title=f"Bench track {n}", author=f"Artist {n % 97}",
                                      length=3_600_000, identifier=f"bench-t-{n}",
                                      uri=f"https://example.com/t/{n}")
        self.track_urls = (f"https://example.com/t/{n}" for n in range(1, n_tracks + 1))

    async def start_playing(self) -> float:
        """Every listener joins voice; one /play per guild (in bursts that fit the gateway
        budget, as each makes the bot join voice); wait until all play."""
        began = time.monotonic()
        for lg in self.guilds:
            for m in lg.members:
                await self.h.join(m, world=lg.world)
        series = Series("initial /play")
        for start in range(0, len(self.guilds), self.args.batch):
            chunk = self.guilds[start:start + self.args.batch]
            await self.gateway_room(len(chunk))
            await self._burst(series, [("play", lg) for lg in chunk])
        if series.errors:
            raise RuntimeError(f"initial /play failed: {dict(series.errors)}")
        for lg in self.guilds:
            await self.h.lavalink.wait_for_player(lg.world.guild.id, connected=True,
                                                  playing=True, timeout=WAIT)
        return time.monotonic() - began

    async def _slash(self, name: str, lg: Listeners) -> Interaction:
        options = {"query": next(self.track_urls)} if name == "play" else {}
        return await self.h.slash(name, user=lg.next(), world=lg.world, **options)

    def _record(self, series: Series, name: str, inter: Interaction) -> None:
        cb, final = self.clock.latency_ms(inter), self.clock.final_ms(inter)
        if inter.id in self.clock.rejected:
            series.errors[f"fake rejected the callback: {self.clock.rejected[inter.id]}"] += 1
            return
        if cb is None or final is None:
            series.errors["no answer"] += 1
            return
        expected = 5 if name == "play" else 4  # /play defers (thinking), /ping answers at once
        followups = [r.data for r in inter.responses if r.kind == "followup"]
        msg = inter.final_message() or {}
        if inter.callback_type != expected or followups or (name == "play" and msg.get(
                "flags", 0) & EPHEMERAL):
            body = (followups or [msg])[-1] or {}
            text = body.get("content") or " ".join(
                (e.get("description") or e.get("title") or "") for e in body.get("embeds", []))
            series.errors[f"callback type {inter.callback_type}: {text[:80]}"] += 1
            return
        series.callback_ms.append(cb)
        series.final_ms.append(final)

    async def _burst(self, series: Series, commands: list[tuple[str, Listeners]]) -> None:
        """All commands dispatched at once (the fake's slash() does not yield), then wait
        for every final answer before the next burst."""
        inters = [(name, await self._slash(name, lg)) for name, lg in commands]
        results = await asyncio.gather(
            *(self.clock.wait("final", i) for _, i in inters), return_exceptions=True)
        for (name, inter), result in zip(inters, results, strict=True):
            if isinstance(result, BaseException):
                series.errors[f"timeout after {WAIT:g}s"] += 1
                continue
            self._record(series, name, inter)

    def _round_robin(self, n: int) -> Iterator[Listeners]:
        for i in range(n):
            yield self.guilds[i % len(self.guilds)]

    async def sequential(self, names: tuple[str, ...], n: int) -> dict[str, Series]:
        """One command in flight; the next starts once the previous one's reply is final.
        The commands alternate (ping, play, ping, ...) so both see the same conditions."""
        began = time.monotonic()
        runs = {name: Series(f"seq {name}", began=began) for name in names}
        for lg in self._round_robin(n):
            for name in names:
                series = runs[name]
                t0 = time.monotonic()
                inter = await self._slash(name, lg)
                try:
                    await inter.wait_response(timeout=WAIT)
                    series.outside_ms.append((time.monotonic() - t0) * 1000)
                    await self.clock.wait("final", inter)
                except (TimeoutError, AssertionError) as exc:
                    series.errors[type(exc).__name__] += 1
                    continue
                self._record(series, name, inter)
        for series in runs.values():
            series.ended = time.monotonic()
        return runs

    async def batched(self, names: tuple[str, ...], n: int) -> dict[str, Series]:
        """Bursts of `--batch` commands, the bursts alternating between the commands."""
        began = time.monotonic()
        runs = {name: Series(f"burst {name}", began=began) for name in names}
        guilds = list(self._round_robin(n))
        for start in range(0, n, self.args.batch):
            for name in names:
                chunk = guilds[start:start + self.args.batch]
                await self._burst(runs[name], [(name, lg) for lg in chunk])
        for series in runs.values():
            series.ended = time.monotonic()
        return runs


@dataclass
class MemoryResult:
    rss_ready: int = 0
    rss_before: int = 0
    rss_after: int = 0
    filled: int = 0
    full: int = 0
    playing: int = 0
    fill_s: float = 0.0
    settle_s: float = 0.0
    stopped_by: str = ""
    failures: list[str] = field(default_factory=list)
    session_bytes: list[int] = field(default_factory=list)
    owners: Counter[str] | None = None


class MemoryBench(Driver):
    """Fills guilds with a 100-track playlist through the audio side's own command path."""

    def build_world(self) -> None:
        """`--memory-guilds` guilds (h.world first), alice of each to be put in voice."""
        others = [build_guild(self.h.discord, f"Memory {i}")
                  for i in range(1, self.args.memory_guilds)]
        self.h.extra_guilds = others
        self.guilds = [self.h.world, *others]
        playlist = [self.h.lavalink.add_track(title=f"Playlist track {i}", author="Mixtape",
                                              length=3_600_000, identifier=f"bench-pl-{i}",
                                              uri=f"https://example.com/pl/t/{i}")
                    for i in range(PLAYLIST_TRACKS)]
        self.h.lavalink.add_playlist("Bench mix", playlist, url=PLAYLIST_URL)

    async def fill(self, worlds: list[GuildWorld], result: MemoryResult, *,
                   seconds: float | None = None) -> None:
        """Play the playlist in each guild over the bus, up to `--batch` at a time and
        within the gateway budget; no new guild is started after `seconds`."""
        bot = self.h.bot
        pending = iter(worlds)
        in_flight = 0
        deadline = None if seconds is None else time.monotonic() + seconds

        async def worker() -> None:
            nonlocal in_flight
            for w in pending:
                if not await self.gateway_room(1, in_flight, deadline):
                    result.stopped_by = "time"
                    return
                command = Play(guild_id=w.guild.id, user_id=w.alice.id, channel_id=w.text.id,
                               voice_channel_id=w.voice.id, query=PLAYLIST_URL)
                in_flight += 1
                try:
                    await bot.bus.request(Channel.COMMANDS, command, timeout=WAIT)
                    result.filled += 1
                except Exception as exc:
                    result.failures.append(f"{type(exc).__name__}: {exc}")
                finally:
                    in_flight -= 1

        # tracemalloc makes everything several times slower: fewer at once
        concurrency = min(self.args.batch, 5) if self.args.attribute else self.args.batch
        await asyncio.gather(*(worker() for _ in range(concurrency)))

    async def measure(self) -> MemoryResult:
        result = MemoryResult(rss_ready=settled_rss())
        warm, rest = self.guilds[:WARM_UP_GUILDS], self.guilds[WARM_UP_GUILDS:]
        await self.fill(warm, MemoryResult())  # first-use costs (imports, caches) not counted
        await self.settle()
        result.rss_before = settled_rss()
        if self.args.attribute:
            tracemalloc.start(12)
            snapshot = tracemalloc.take_snapshot()
        began = time.monotonic()
        await self.fill(rest, result, seconds=self.args.memory_seconds)
        result.fill_s = time.monotonic() - began
        result.settle_s = await self.settle()
        result.rss_after = settled_rss()
        if self.args.attribute:
            result.owners = attribute(snapshot, tracemalloc.take_snapshot())
            tracemalloc.stop()
        sessions = self.h.bot.get_cog("audio").service.sessions  # type: ignore[union-attr]
        counted = [sessions[w.guild.id] for w in rest if w.guild.id in sessions]
        result.full = sum(1 for s in counted
                          if s.queue.current is not None and len(s.queue) == PLAYLIST_TRACKS - 1)
        result.session_bytes = [deep_size(s) for s in counted]
        result.playing = sum(1 for w in rest
                             if (p := self.h.lavalink.player(w.guild.id)) and p.get("track"))
        return result


# -- memory attribution (optional) ----------------------------------------------------------


def _bucket(filename: str) -> str | None:
    path = filename.replace("\\", "/")
    for marker, label in (("/tests/fakes/", "fakes (tests/fakes)"), ("/bench/", None),
                          (f"{ROOT}/bot/", "bot (bot/, cogs/)"),
                          (f"{ROOT}/cogs/", "bot (bot/, cogs/)"),
                          ("/site-packages/mafic/", "mafic"),
                          ("/site-packages/discord/", "discord.py"),
                          ("/site-packages/sqlalchemy/", "sqlalchemy/aiosqlite"),
                          ("/site-packages/aiosqlite/", "sqlalchemy/aiosqlite")):
        if marker in path:
            return label
    return None


def attribute(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot) -> Counter[str]:
    """Net new bytes per owner: the innermost frame in the bot, the fakes or a library."""
    owners: Counter[str] = Counter()
    for stat in after.compare_to(before, "traceback"):
        owner = "other (stdlib, aiohttp, ...)"
        for frame in reversed(stat.traceback):  # innermost last in tracemalloc's order
            label = _bucket(frame.filename)
            if label is not None:
                owner = label
                break
        owners[owner] += stat.size_diff
    return owners


# -- report --------------------------------------------------------------------------------


def row(label: str, values: list[float], ref: list[float] | None = None) -> str:
    if not values:
        return f"  {label:34} (no samples)"
    p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
    text = f"  {label:34}{len(values):6d}{p50:9.2f}{p99:9.2f}{max(values):9.2f}"
    if ref:
        text += f"   x{p50 / percentile(ref, 0.5):.2f} / x{p99 / percentile(ref, 0.99):.2f}"
    return text


def print_latency(args: argparse.Namespace, runs: dict[str, Series], gcs: GcPauses,
                  rss_growth: tuple[int, int], owners: Counter[str] | None,
                  watch: PublishWatch | None) -> None:
    print("\n== 1. /play latency: INTERACTION_CREATE dispatched -> first callback at the fake ==")
    print(f"  {args.guilds} guilds, each playing a track; commands round-robin across them"
          f" (queues grow to <= {1 + 2 * math.ceil(args.commands / args.guilds)} tracks).")
    print("  t0 = Interaction.created (the fake's own record, just before the gateway dispatch);"
          "\n  t1 = the fake receives POST /interactions/{id}/{token}/callback, stamped by a hook"
          " on FakeDiscord._callback\n  (the fake keeps no arrival time). /play's first callback"
          " is its defer (type 5); /ping's is its answer\n  (type 4), sent after a bus round trip"
          " to the audio side. Bot and fakes share one event loop.")
    print(f"\n  {'series':34}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          "   play/ping p50 / p99")
    seq_ping, seq_play = runs["seq ping"], runs["seq play"]
    bat_ping, bat_play = runs["burst ping"], runs["burst play"]
    print(row("sequential /ping", seq_ping.callback_ms))
    print(row("sequential /play", seq_play.callback_ms, seq_ping.callback_ms))
    print(row(f"bursts of {args.batch} /ping", bat_ping.callback_ms))
    print(row(f"bursts of {args.batch} /play", bat_play.callback_ms, bat_ping.callback_ms))
    for label, series in (("one at a time", seq_play), (f"bursts of {args.batch}", bat_play)):
        if series.callback_ms:
            record(
                "playback",
                f"/play → first callback p50 / p99, {label}, {args.guilds} guilds playing",
                f"{percentile(series.callback_ms, 0.5):.1f} / "
                f"{percentile(series.callback_ms, 0.99):.1f} ms",
            )
    print("\n  for context, from the same runs:")
    print(row("sequential /ping, driver view*", seq_ping.outside_ms))
    print(row("sequential /play, driver view*", seq_play.outside_ms, seq_ping.outside_ms))
    print(row("sequential /play -> final reply", seq_play.final_ms))
    print(row(f"bursts of {args.batch} /play -> final reply", bat_play.final_ms))
    print("  * driver view: just before fake.slash() until wait_response() returns."
          f"\n  In a burst all {args.batch} INTERACTION_CREATE go out at once, so each answer"
          " also waits for the ones\n  ahead of it (p50 ~ half a burst).")
    print("  /ping and /play alternate (one each, or one burst each) so both see the same"
          " conditions.")
    for mode, (ping, play) in (("sequential", (seq_ping, seq_play)),
                               ("bursts", (bat_ping, bat_play))):
        pauses = gcs.between(ping.began, ping.ended)
        full = [d for _, d, g in pauses if g == 2]
        longest = max((d for _, d, _ in pauses), default=0) * 1000
        count = ping.count + play.count
        errors = ping.errors + play.errors
        print(f"  {mode:10} {count} commands in {ping.seconds:5.1f} s"
              f" ({count / ping.seconds:4.0f}/s); GC pauses: {len(pauses)}, longest"
              f" {longest:.0f} ms; full (gen 2): {len(full)}, {sum(full) * 1000:.0f} ms"
              + (f"; ERRORS: {dict(errors)}" if errors else ""))
    if watch is not None and watch.blocked_ms:
        slow = [ms for ms in watch.blocked_ms if ms >= 10]
        backlog = ", ".join(f"{k} {v}" for k, v in watch.backlog.most_common())
        print(f"  bus.request -> publish to {Channel.COMMANDS.value} subscribers:"
              f" {len(watch.blocked_ms)} calls, {len(slow)} blocked >= 10 ms (longest"
              f" {max(watch.blocked_ms):.0f} ms);\n    largest subscriber backlog seen: {backlog}")
    n = sum(s.count for s in runs.values())
    before, after = rss_growth
    print(f"  RSS {before / 1024:.1f} -> {after / 1024:.1f} MiB over these {n} commands"
          f" ({(after - before) / n:+.1f} KiB each; the fakes keep every request, message and"
          " interaction)")
    if owners:
        print_owners(owners, n, "command")


def print_memory(args: argparse.Namespace, m: MemoryResult, rss_start: int) -> None:
    print(f"\n== 2. Memory: a {PLAYLIST_TRACKS}-track queue in each of up to"
          f" {args.memory_guilds} guilds (a bot of its own) ==")
    print("  per guild: alice in voice; Play(playlist URL) over bus.request(Channel.COMMANDS):"
          " load, join voice\n  through the fake gateway, start track 1 on the fake Lavalink"
          " (1 playing + 99 upcoming).\n  RSS = VmRSS after gc.collect() and malloc_trim(0);"
          f" {WARM_UP_GUILDS} guilds filled first as a warm-up, not counted.")
    print(f"  RSS: process start {rss_start / 1024:.1f} MiB; bot ready with"
          f" {args.memory_guilds} guilds {m.rss_ready / 1024:.1f} MiB; before filling"
          f" {m.rss_before / 1024:.1f} MiB")
    print(f"  filled {m.filled} guilds in {m.fill_s:.1f} s, <= {args.batch} at a time;"
          f" saver and UI settled {m.settle_s:.1f} s later")
    if m.stopped_by == "time":
        print(f"  stopped at {args.memory_seconds:g} s: each fill joins voice = one gateway"
              " send, and discord.py allows 110\n  per 60 s per shard (Discord: 120), so one"
              " shard joins at most ~110 guilds a minute (1000 guilds: >= 9 min).\n  The bench"
              " waits for that budget rather than let joins queue behind the limiter.")
    print(f"  check: {m.full} sessions hold 1 + {PLAYLIST_TRACKS - 1} tracks;"
          f" {m.playing} fake Lavalink players have a track")
    if m.failures:
        print(f"  FAILED: {len(m.failures)}: {Counter(m.failures).most_common(3)}")
    delta = m.rss_after - m.rss_before
    print(f"  RSS after {m.rss_after / 1024:.1f} MiB: {delta / 1024:+.1f} MiB")
    if not m.full:
        return
    per_guild = delta / m.full
    record(
        "playback",
        f"RSS per guild playing (1 player + {PLAYLIST_TRACKS}-track queue; {m.full} guilds)",
        f"{per_guild:.0f} KiB (≈ {per_guild * 1000 / 1024:.0f} MiB per 1,000 guilds)",
    )
    print(f"  per guild: {per_guild:.1f} KiB ({per_guild * 1024 / PLAYLIST_TRACKS:.0f} B per"
          " queued track), whole process: bot, libraries and fakes")
    if m.full < args.memory_guilds - WARM_UP_GUILDS:
        print(f"  extrapolated from {m.full} guilds: {per_guild * args.memory_guilds / 1024:.1f}"
              f" MiB for {args.memory_guilds} guilds")
    if m.session_bytes:
        avg = sum(m.session_bytes) / len(m.session_bytes)
        record(
            "playback",
            f"the bot's own state per guild (GuildSession, {PLAYLIST_TRACKS} tracks, deep size)",
            f"{avg / 1024:.1f} KiB",
        )
        print(f"  the bot's own GuildSession (queue of QueuedTrack with its strings and datetime,"
              f" deep sizeof):\n    {avg / 1024:.1f} KiB per guild ({avg / PLAYLIST_TRACKS:.0f} B"
              f" per track), {avg * args.memory_guilds / 1024 / 1024:.1f} MiB for"
              f" {args.memory_guilds} guilds")
    if m.owners:
        print_owners(m.owners, m.full, "guild")
        print("    (allocation site, not owner: e.g. strings parsed from Lavalink's JSON and"
              " then held by\n    the bot's queues count where they were parsed)")


def print_owners(owners: Counter[str], n: int, unit: str) -> None:
    print("  tracemalloc (--attribute: slows everything and inflates RSS): net new bytes by the"
          " innermost\n  frame in bot/cogs, tests/fakes, mafic, discord.py or the database"
          " libraries:")
    for owner, size in owners.most_common():
        print(f"    {owner:32}{size / 1024:10.0f} KiB  {size / max(n, 1) / 1024:7.2f} KiB/{unit}")


async def teardown_errors(bench: Any, tmp: Path) -> str | None:
    """Run `bench(h)` inside a harness; return the fake's recorded errors, if any."""
    try:
        async with harness(tmp, start=False) as h:
            await bench(h)
    except AssertionError as exc:  # the harness's assert_no_errors at teardown
        return str(exc)
    return None


async def run(args: argparse.Namespace) -> int:
    log = io.StringIO()
    setup_logging(LoggingSettings(level="WARNING"), stream=log)
    warnings.filterwarnings("ignore", category=mafic.warnings.UnsupportedVersionWarning)
    gcs = GcPauses()
    rss_start = settled_rss()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}"
          " (other processes on the machine add noise)")
    t_begin = time.monotonic()
    memory = MemoryResult()
    runs: dict[str, Series] = {}
    rss_growth = (0, 0)
    latency_owners: Counter[str] | None = None
    watch: PublishWatch | None = None

    async def memory_bench(h: Harness) -> None:
        nonlocal memory
        bench = MemoryBench(h, args)
        bench.build_world()
        for w in bench.guilds:  # in voice before the bot connects
            await h.join(w.alice, world=w)
        t0 = time.monotonic()
        await h.start()
        ready = time.monotonic() - t0
        print(f"memory: bot ready in {ready:.1f} s with {len(h.bot.guilds)}"
              f" guilds; filling for up to {args.memory_seconds:g} s ...", flush=True)
        record("playback", f"start → ready, {len(h.bot.guilds):,} guilds", f"{ready:.2f} s")
        memory = await bench.measure()

    async def latency_bench(h: Harness) -> None:
        nonlocal rss_growth, latency_owners
        if args.attribute:  # too slow under tracemalloc for Discord's 3 s deadline
            h.discord.interaction_deadline = None
        bench = LatencyBench(h, args)
        bench.build_world()
        t0 = time.monotonic()
        await h.start()
        ready = time.monotonic() - t0
        started = await bench.start_playing()
        print(f"latency: bot ready in {ready:.1f} s; {args.guilds} guilds playing"
              f" {started:.1f} s later; {args.commands} commands per series ...", flush=True)
        record("playback", f"start → ready, {args.guilds} guilds", f"{ready:.2f} s")
        await bench.sequential(("ping",), args.warmup)  # warm-up, not reported
        nonlocal watch
        watch = PublishWatch(h.bot.bus)
        before = settled_rss()
        if args.attribute:
            tracemalloc.start(12)
            snapshot = tracemalloc.take_snapshot()
        for series in (*(await bench.sequential(("ping", "play"), args.commands)).values(),
                       *(await bench.batched(("ping", "play"), args.commands)).values()):
            runs[series.name] = series
        await bench.settle()
        rss_growth = (before, settled_rss())
        if args.attribute:
            latency_owners = attribute(snapshot, tracemalloc.take_snapshot())
            tracemalloc.stop()
        await restart(h, bench)

    async def restart(h: Harness, bench: LatencyBench) -> None:
        """Stop the bot cleanly, start it again, time until every guild plays again."""
        assert h.running is not None
        await h.running.stop()
        since = len(h.lavalink.sent_events)
        t0 = time.monotonic()
        await h.start()
        ready = time.monotonic() - t0
        session = await h.lavalink.wait_for_session(since=since, timeout=WAIT)
        back = 0
        try:
            for lg in bench.guilds:
                await h.lavalink.wait_for_player(
                    lg.world.guild.id, connected=True, playing=True, session_id=session,
                    timeout=max(1.0, RESTART_WAIT - (time.monotonic() - t0)),
                )
                back += 1
        except AssertionError:  # the fake's wait timed out: report how far it got
            pass
        resumed = time.monotonic() - t0
        total = len(bench.guilds)
        print(f"restart: ready in {ready:.2f} s, {back}/{total} guilds playing again"
              f" {resumed:.2f} s after the start", flush=True)
        record("playback", f"restart → guilds playing again (of {total}; rejoin voice, same"
               " track and position)", f"{back}/{total} in {resumed:.2f} s")

    with tempfile.TemporaryDirectory(prefix="bench-playback-") as tmp:
        # memory first, in a fresh bot: less freed memory around for the allocator to reuse
        memory_errors = await teardown_errors(memory_bench, Path(tmp, "memory"))
        gc.collect()
        latency_errors = await teardown_errors(latency_bench, Path(tmp, "latency"))

    print_latency(args, runs, gcs, rss_growth, latency_owners, watch)
    print_memory(args, memory, rss_start)
    print(f"\ntotal {time.monotonic() - t_begin:.0f} s")
    for what, errors in (("memory", memory_errors), ("latency", latency_errors)):
        if errors:
            print(f"fake Discord recorded errors ({what} run): {errors[:2000]}")
    lines = [ln for ln in log.getvalue().splitlines() if ln.strip()]
    print(f"bot log at WARNING or above: {len(lines) or 'nothing'}"
          + (" lines; most frequent:" if lines else ""))
    seen = Counter(re.sub(r"\d+(\.\d+)? ms", "N ms", ln.split(" - ", 1)[-1])[:150]
                   for ln in lines)
    for text, count in seen.most_common(8):
        print(f"  {count:5d} x {text}")
    failed = len(memory.failures) + sum(sum(s.errors.values()) for s in runs.values())
    if failed or memory_errors or latency_errors:
        print(f"exit 1: {failed} commands failed"
              + (", fake Discord errors" if memory_errors or latency_errors else ""))
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guilds", type=int, default=100, help="guilds playing (latency)")
    parser.add_argument("--commands", type=int, default=1000, help="commands per series")
    parser.add_argument("--batch", type=int, default=50, help="commands in flight per burst")
    parser.add_argument("--memory-guilds", type=int, default=1000)
    parser.add_argument("--memory-seconds", type=float, default=60.0,
                        help="stop starting new memory guilds after this long; extrapolate")
    parser.add_argument("--warmup", type=int, default=50, help="/ping commands not reported")
    parser.add_argument("--quick", action="store_true",
                        help="20 guilds, 200 commands, 50 memory guilds (~15 s)")
    parser.add_argument("--attribute", action="store_true",
                        help="also attribute the memory growth with tracemalloc (slower)")
    args = parser.parse_args()
    if args.quick:
        args.guilds, args.commands, args.memory_guilds = 20, 200, 50
    if args.guilds < 1 or args.commands < 1 or args.batch < 1:
        parser.error("--guilds, --commands and --batch must be at least 1")
    for key in [k for k in os.environ if k.startswith("BOT_")]:
        del os.environ[key]  # like tests/conftest.py: the bench's settings come from the harness
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
