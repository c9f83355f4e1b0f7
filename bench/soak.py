"""Soak: the real bot against the fakes for a bounded time, with random commands and faults.

The real bot (`bot.app.MusicBot`) runs in this process against the fake Discord
and fake Lavalink of `tests/fakes`, started with the e2e harness, in
`--guilds` guilds, each with a member in voice. Every guild first plays one
track (voice joins paced to discord.py's gateway budget, as in
bench/playback.py), then for `--minutes`:

- each guild runs random commands one at a time (play, skip, seek, volume,
  pause/resume, queue, remove, move, shuffle, loop), about `--rate` commands a
  second over all guilds. `bench/_soak_model.py` predicts each guild's queue
  from the answers to its own commands and checks every answer against it;
  a /queue answer is compared with the prediction, and after a shuffle the
  new order is read from /queue (every page). After an error answer the
  queue is read back: a refusal must have changed nothing; after a timeout,
  an apology or no answer the command may or may not have run (the bot's bus
  lets a request that timed out finish: the read-back waits for it), and
  either outcome counts as correct.
- every `--fault-every` seconds one fault, in turn: Lavalink closes its
  websockets cleanly, drops them (TCP abort), or restarts (new session, 0.2
  to 2 s down); Discord sends op 7 or drops the gateway connection; Discord
  answers 429 to interaction callbacks or to channel messages. A Lavalink
  fault is survived when every guild that should be playing has a connected
  player in a new Lavalink session with the expected track, pause state and
  volume; a gateway fault when the bot RESUMEd and the players still match;
  a 429 when the bot retried past it. A fault must be over within
  `--recovery-timeout` seconds; the next one comes `--fault-every` s later.
  `--faults` picks some of them (e.g. `--faults "lavalink restart"`). For the
  Lavalink faults the report also counts the voice state updates (gateway
  op 4) the bot sent while recovering: a player rebuilt from the voice state
  the bot kept needs none, a leave and rejoin two, and Discord allows about
  120 gateway sends a minute per shard.

At the end (commands stopped, last fault over, the saver idle) each guild's
queue is read with /queue, every page, and loaded from the database
(`QueueStore.load_snapshot`), and both are compared with the prediction.
Items lost = predicted tracks missing (in queue checks during the run, at the
end in /queue, at the end in the database); it must be 0.

Prints commands handled, errors by kind, faults injected and survived (with
recovery times), items lost, RSS at start (bot ready, guilds playing) and end,
and the bot's WARNING+ log lines. Exit 1 when an item was lost or duplicated,
a fault was not survived, or a command got the apology of an unexpected error.
Run: `.venv/bin/python bench/soak.py [--minutes 10] [--guilds 200] [--rate 40]
[--fault-every 5] [--recovery-timeout 300] [--seed 1] [--database-url URL]
[--log-file PATH] [--faults KIND,KIND] [--quick]` (--quick: 1 minute, 20 guilds). The 10-minute
default outlasts `python -m bench`'s 600 s per benchmark: give it `--timeout`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import re
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mafic  # noqa: E402
from loguru import logger  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bench._results import record  # noqa: E402
from bench._soak_model import (  # noqa: E402
    TRACK_TITLE,
    TRACK_URL,
    Actual,
    ExpectedQueue,
    message_text,
    parse_queue_page,
)
from bench.playback import Driver, rss_kib, settled_rss, teardown_errors  # noqa: E402
from bot.db import QueueStore  # noqa: E402
from bot.log import setup_logging  # noqa: E402
from bot.settings import LoggingSettings  # noqa: E402
from tests.e2e.harness import GuildWorld, Harness, answer, build_guild  # noqa: E402

POOL = 5000  # catalogue tracks; a guild plays each at most once
TRACK_MS = 3_600_000  # an hour: no track ends by itself during a soak
MAX_UPCOMING = 30
ANSWER_TIMEOUT = 20.0
NOTES_PER_SECTION = 15
WAIT_ERRORS = (AssertionError, TimeoutError)  # what the harness's waiters raise
JOIN_BATCH = 20
FAULTS = (
    "lavalink clean close",
    "lavalink abrupt drop",
    "lavalink restart",
    "gateway op 7",
    "gateway abrupt drop",
    "REST 429 on callbacks",
    "REST 429 on messages",
)
# How much each command is picked, when it makes sense for the guild's queue.
WEIGHTS = {
    "play": 18,
    "skip": 8,
    "seek": 10,
    "volume": 8,
    "pause": 5,
    "resume": 5,
    "queue": 12,
    "remove": 8,
    "move": 8,
    "shuffle": 3,
    "loop": 5,
}


def identifier(track: int) -> str:
    return f"soak-{track}"


@dataclass
class Tally:
    """Everything the report prints."""

    answered: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    mispredicted: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    survived: Counter[str] = field(default_factory=Counter)
    recovery_s: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    voice_sends: Counter[str] = field(default_factory=Counter)  # fault kind: op 4 while recovering
    lost: Counter[str] = field(default_factory=Counter)  # where: items
    extra: Counter[str] = field(default_factory=Counter)
    reordered: Counter[str] = field(default_factory=Counter)
    state_mismatches: Counter[str] = field(default_factory=Counter)
    uncertain: int = 0
    notes: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    examples: dict[str, str] = field(default_factory=dict)  # error kind: first command
    not_playing_at_end: int = 0

    def note(self, text: str, section: str = "during the run") -> None:
        """Keep the first details of each section for the report."""
        if len(self.notes[section]) < NOTES_PER_SECTION:
            self.notes[section].append(text)


@dataclass
class GuildRun:
    """One guild of the soak: its world, its predicted queue, and its own random stream."""

    index: int
    world: GuildWorld
    rng: random.Random
    expected: ExpectedQueue = field(default_factory=ExpectedQueue)
    plays: int = 0
    busy: bool = False
    stale: bool = False  # the last read-back failed: read again before the next command
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=6))  # for the details

    @property
    def guild_id(self) -> int:
        return self.world.guild.id

    def next_track(self) -> int:
        self.plays += 1
        return (self.index * 53 + self.plays) % POOL + 1


def classify(message: dict[str, Any]) -> tuple[str | None, bool]:
    """(error kind or None, whether the command may have run anyway)."""
    if not message.get("ephemeral"):
        return None, False
    text = message_text(message)
    if "Something went wrong" in text:
        return "apology (unexpected error)", True
    if "taking too long" in text:
        return "audio side timed out", True
    if "not available right now" in text:
        return "audio side unavailable", False
    return "refused: " + re.sub(r"\d+", "N", text)[:70], False


class Soak(Driver):
    """Drives the guilds and the faults, and keeps the tally."""

    def __init__(self, h: Harness, args: argparse.Namespace) -> None:
        super().__init__(h, args)
        self.rng = random.Random(args.seed)
        self.tally = Tally()
        self.guilds: list[GuildRun] = []
        self.store: QueueStore | None = None
        self.began = time.monotonic()
        self.fault_log: list[str] = []

    # -- setup -----------------------------------------------------------------------------

    def build_world(self) -> None:
        worlds = [self.h.world] + [
            build_guild(self.h.discord, f"Soak {i}") for i in range(1, self.args.guilds)
        ]
        self.h.extra_guilds = worlds[1:]
        self.guilds = [
            GuildRun(i, w, random.Random(self.rng.random())) for i, w in enumerate(worlds)
        ]
        for n in range(1, POOL + 1):
            self.h.lavalink.add_track(
                title=TRACK_TITLE.format(n),
                author=f"Artist {n % 50}",
                length=TRACK_MS,
                identifier=identifier(n),
                uri=TRACK_URL.format(n),
            )

    async def join_voice(self) -> None:
        for g in self.guilds:
            await self.h.join(g.world.alice, world=g.world)

    async def start_playing(self) -> None:
        """One /play per guild, in batches that fit the gateway budget (each joins voice)."""
        for start in range(0, len(self.guilds), JOIN_BATCH):
            chunk = self.guilds[start : start + JOIN_BATCH]
            await self.gateway_room(len(chunk))
            await asyncio.gather(*(self.step(g, "play") for g in chunk))
        assert self.h.bot.db is not None
        self.store = QueueStore(self.h.bot.db)

    # -- commands --------------------------------------------------------------------------

    def pick(self, g: GuildRun) -> str:
        q = g.expected
        allowed = dict(WEIGHTS)
        if len(q.upcoming) >= MAX_UPCOMING:
            del allowed["play"]
        if not q.upcoming:  # skipping the last track would leave the guild idle
            for name in ("skip", "remove", "move"):
                del allowed[name]
        if len(q.upcoming) < 2:
            allowed.pop("move", None)
            del allowed["shuffle"]
        if q.current is None:
            for name in ("seek", "pause", "resume", "skip"):
                allowed.pop(name, None)
        names = list(allowed)
        return g.rng.choices(names, weights=[allowed[n] for n in names])[0]

    def prepare(self, g: GuildRun, name: str) -> tuple[dict[str, Any], Any]:
        """The command's options and how it changes the predicted queue."""
        rng, q = g.rng, g.expected
        if name == "play":
            track = g.next_track()
            return {"query": TRACK_URL.format(track)}, lambda e, t: e.played(track, t)
        if name == "skip":
            return {}, lambda e, t: e.skipped(t)
        if name == "remove":
            position = rng.randint(1, len(q.upcoming))
            return {"position": position}, lambda e, t: e.removed(position, t)
        if name == "move":
            source, target = rng.sample(range(1, len(q.upcoming) + 1), 2)
            return {"source": source, "target": target}, lambda e, t: e.moved(source, target, t)
        if name == "seek":
            time_option = rng.choice(
                ["+10", "-10", f"{rng.randint(0, 20)}:{rng.randint(0, 59):02d}"]
            )
            return {"time": time_option}, None
        if name == "volume":
            level = rng.randint(10, 150)
            return {"level": level}, lambda e, t: setattr(e, "volume", level)
        if name in ("pause", "resume"):
            paused = name == "pause"
            return {}, lambda e, t: setattr(e, "paused", paused)
        if name == "loop":
            mode = rng.choice(["off", "track", "queue"])
            return {"mode": mode}, lambda e, t: setattr(e, "loop", mode)
        return {}, None  # queue, shuffle: checked after the answer

    async def step(self, g: GuildRun, name: str | None = None) -> None:
        """One command in the guild, its answer checked against the prediction."""
        g.busy = True
        try:
            if g.stale:
                await self.resync(g, "after a failed read-back")
                if g.stale:
                    return
            name = name or self.pick(g)
            options, effect = self.prepare(g, name)
            before = g.expected.copy()
            kind: str | None
            try:
                interaction = await self.h.slash(name, user=g.world.alice, world=g.world, **options)
                message = await answer(interaction, ANSWER_TIMEOUT)
            except WAIT_ERRORS:
                kind, uncertain = "no answer", True
            else:
                kind, uncertain = classify(message)
            g.recent.append(
                f"{time.monotonic() - self.began:.1f}s /{name} {options}: "
                + (kind or message_text(message)[:60].replace("\n", " "))
            )
            if kind is None:
                await self.answered(g, name, options, effect, message, before)
                return
            self.tally.errors[kind] += 1
            self.tally.examples.setdefault(kind, f"guild {g.index} /{name} {options}")
            if not uncertain:
                await self.resync(g, f"/{name} refused")
                return
            self.tally.uncertain += 1
            applied = before.copy()
            if effect is not None:
                effect(applied, None)
            # The bot's bus lets a request that timed out run on: wait for what was in
            # flight (private state, read only), so the read-back sees its outcome.
            inflight = set(getattr(self.h.bot.bus, "_inflight", ()))
            if inflight:
                await asyncio.wait(inflight, timeout=self.args.recovery_timeout)
            await asyncio.sleep(0.2)
            await self.resync(g, f"/{name} {kind}", alternatives=[before, applied])
        finally:
            g.busy = False

    async def answered(
        self,
        g: GuildRun,
        name: str,
        options: dict[str, Any],
        effect: Any,
        message: dict[str, Any],
        before: ExpectedQueue,
    ) -> None:
        """A normal answer: check it against the prediction; read the queue back after a
        disagreement (counting from the answer's own account, if it gives one)."""
        self.tally.answered[name] += 1
        text = message_text(message)
        problem = effect(g.expected, text) if effect is not None else None
        if problem:
            self.tally.mispredicted[name] += 1
            self.tally.note(f"guild {g.index} /{name}: {problem}; recent: {list(g.recent)}")
            reported = before.as_reported(name, options, text)
            alternatives = [g.expected] + ([reported] if reported is not None else [])
            await self.resync(g, f"/{name} answer", alternatives=alternatives)
        elif name == "shuffle":
            await self.resync(g, "shuffle", order_matters=False)
        elif name == "queue":
            page = parse_queue_page(message)
            q = g.expected
            if (
                page is None
                or page.current != q.current
                or page.items != q.upcoming[:10]
                or page.length != len(q.upcoming)
                or page.loop != q.loop
            ):
                self.tally.mispredicted[name] += 1
                self.tally.note(f"guild {g.index} /queue page 1 differs: {page}, expected {q}")
                await self.resync(g, "/queue page 1")

    # -- reading the bot's queue back ------------------------------------------------------

    async def read_queue(self, g: GuildRun) -> Actual | None:
        """Every page of /queue; None if a page was not answered normally."""
        current, items, page, pages, loop = None, [], 1, 1, None
        while page <= pages:
            try:
                interaction = await self.h.slash(
                    "queue", user=g.world.alice, world=g.world, page=page
                )
                parsed = parse_queue_page(await answer(interaction, ANSWER_TIMEOUT))
            except WAIT_ERRORS:
                parsed = None
            if parsed is None:
                self.tally.errors["read-back /queue failed"] += 1
                return None
            current, loop, pages = parsed.current, parsed.loop, parsed.pages
            items += parsed.items
            page += 1
        return Actual(current, items, loop=loop)

    async def resync(
        self,
        g: GuildRun,
        why: str,
        *,
        alternatives: list[ExpectedQueue] | None = None,
        order_matters: bool = True,
    ) -> None:
        """Compare the bot's queue with the prediction (or the closest alternative); count
        what is missing or extra, then continue from what the bot has."""
        actual = await self.read_queue(g)
        g.stale = actual is None
        if actual is None:
            return
        candidates = alternatives or [g.expected]

        def distance(c: ExpectedQueue) -> tuple[int, int]:
            missing, extra, same = c.compare(actual)
            return sum(missing.values()) + sum(extra.values()), 0 if same else 1

        best = min(candidates, key=distance)
        missing, extra, same = best.compare(actual)
        if missing or extra:
            self.tally.lost["during the run"] += sum(missing.values())
            self.tally.extra["during the run"] += sum(extra.values())
            self.tally.note(
                f"guild {g.index} after {why}: missing {sorted(missing.elements())}"
                f" extra {sorted(extra.elements())}; recent: {list(g.recent)}"
            )
        elif not same and order_matters:
            self.tally.reordered["during the run"] += 1
            self.tally.note(
                f"guild {g.index} after {why}: order differs: bot {actual},"
                f" expected {best}; recent: {list(g.recent)}"
            )
        best.adopt(actual)
        g.expected = best

    # -- faults ----------------------------------------------------------------------------

    async def guild_loop(self, g: GuildRun, end: float) -> None:
        mean_pause = len(self.guilds) / self.args.rate
        while True:
            await asyncio.sleep(g.rng.expovariate(1 / mean_pause))
            if time.monotonic() >= end:
                return
            await self.step(g)

    async def fault_loop(self, end: float) -> None:
        order: list[str] = []
        while time.monotonic() + self.args.fault_every < end:
            await asyncio.sleep(self.args.fault_every)
            if not order:
                order = list(self.args.faults)
                self.rng.shuffle(order)
            kind = order.pop()
            began = time.monotonic()
            self.tally.faults[kind] += 1
            problem = await self.inject(kind)
            if problem is None:
                self.tally.survived[kind] += 1
                self.tally.recovery_s[kind].append(time.monotonic() - began)
            else:
                self.tally.note(f"{kind} at {began - self.began:.0f}s: {problem}", "faults")
            self.fault_log.append(f"{began - self.began:.1f}s {kind}")

    async def inject(self, kind: str) -> str | None:
        """Inject one fault and wait for the bot to get over it; None, or what went wrong."""
        lavalink, discord = self.h.lavalink, self.h.discord
        if kind.startswith("lavalink"):
            old_sessions = set(lavalink.session_ids)
            sent = self.voice_sends()
            if kind == "lavalink clean close":
                await lavalink.close_websockets(code=1000)
            elif kind == "lavalink abrupt drop":
                await lavalink.drop_websockets()
            else:
                await lavalink.restart(downtime=self.rng.uniform(0.2, 2.0))
            problem = await self.players_match(exclude_sessions=old_sessions)
            self.tally.voice_sends[kind] += self.voice_sends() - sent
            return problem
        if kind.startswith("gateway"):
            resumes = len(discord.resumes)
            if kind == "gateway op 7":
                await discord.send_reconnect()
            else:
                await discord.drop_gateway()
            try:
                await discord.wait_for_resume(count=resumes + 1, timeout=self.args.recovery_timeout)
            except WAIT_ERRORS:
                return "no RESUME"
            return await self.players_match()
        pattern = r"/interactions/.*/callback" if "callbacks" in kind else r"/channels/\d+/messages"
        rule = discord.rate_limit(pattern, retry_after=0.3, count=3)
        deadline = time.monotonic() + self.args.recovery_timeout
        while rule.hits < rule.count:
            if time.monotonic() > deadline:
                discord.faults.remove(rule)
                return f"only {rule.hits} of {rule.count} requests came"
            await asyncio.sleep(0.1)
        return None

    def voice_sends(self) -> int:
        """Voice state updates (gateway op 4) the bot has sent so far."""
        return sum(
            1 for c in self.h.discord.connections for m in c.received if m.get("op") == 4
        )

    async def players_match(
        self, exclude_sessions: set[str] | None = None, timeout: float | None = None
    ) -> str | None:
        """Wait until every guild that should play has a connected player on Lavalink with
        the predicted track, pause state and volume (in a new session after a node fault)."""
        waiting = {g.index: g for g in self.guilds}
        timeout = self.args.recovery_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        problems: dict[int, str] = {}
        while waiting:
            # Only connected sessions: one paused awaiting a resume (mafic asks for resuming)
            # still holds the players as they were when its socket went away.
            sessions = [
                s
                for s in self.h.lavalink.session_ids
                if (not exclude_sessions or s not in exclude_sessions)
                and (session := self.h.lavalink.session(s)) is not None
                and session.connected
            ]
            for index, g in list(waiting.items()):
                if g.busy:
                    continue
                problem = self._player_problem(g, sessions)
                if problem is None:
                    del waiting[index]
                else:
                    problems[index] = problem
            if not waiting:
                return None
            if time.monotonic() > deadline:
                shown = "; ".join(
                    f"guild {i}: {problems.get(i, 'busy')}" for i in list(waiting)[:3]
                )
                self.tally.not_playing_at_end = len(waiting)
                return f"{len(waiting)} guilds not back after {timeout:.0f}s ({shown})"
            await asyncio.sleep(0.25)
        return None

    def _player_problem(self, g: GuildRun, sessions: list[str]) -> str | None:
        q = g.expected
        if q.current is None:
            return None
        player = next((p for s in sessions if (p := self.h.lavalink.player(g.guild_id, s))), None)
        if player is None:
            return "no player"
        track = (player.get("track") or {}).get("info", {}).get("identifier")
        if not player["state"]["connected"]:
            return "player not connected"
        if track != identifier(q.current):
            return f"playing {track}, expected {identifier(q.current)}"
        if player["paused"] != q.paused or player["volume"] != q.volume:
            return (
                f"paused={player['paused']} volume={player['volume']}, expected"
                f" paused={q.paused} volume={q.volume}"
            )
        return None

    # -- the end ---------------------------------------------------------------------------

    async def final_check(self) -> None:
        """Each guild's /queue and saved snapshot against the prediction."""
        for start in range(0, len(self.guilds), JOIN_BATCH):
            await asyncio.gather(*(self._final(g) for g in self.guilds[start : start + JOIN_BATCH]))

    async def _final(self, g: GuildRun) -> None:
        q = g.expected
        actual = await self.read_queue(g)
        if actual is None:
            self.tally.note(f"guild {g.index}: /queue unreadable", "at the end")
        else:
            self._count_end("at the end, /queue", g, actual)
        assert self.store is not None
        snapshot = await self.store.load_snapshot(g.guild_id)
        tracks = (
            [int(t.identifier.removeprefix("soak-")) for t in snapshot.tracks] if snapshot else []
        )
        has_current = snapshot is not None and snapshot.current_index == 0 and bool(tracks)
        stored = Actual(
            tracks[0] if has_current else None,
            tracks[1:] if has_current else tracks,
            loop=snapshot.loop_mode if snapshot else "off",
        )
        self._count_end("at the end, database", g, stored)
        if (
            snapshot is not None
            and q.current is not None
            and (snapshot.paused != q.paused or snapshot.volume != q.volume)
        ):
            self.tally.state_mismatches["database pause/volume"] += 1
            self.tally.note(
                f"guild {g.index} saved paused={snapshot.paused} volume="
                f"{snapshot.volume}, expected paused={q.paused} volume={q.volume}",
                "at the end",
            )

    def _count_end(self, where: str, g: GuildRun, actual: Actual) -> None:
        missing, extra, same = g.expected.compare(actual)
        self.tally.lost[where] += sum(missing.values())
        self.tally.extra[where] += sum(extra.values())
        if missing or extra or not same:
            self.tally.reordered[where] += 0 if missing or extra else 1
            self.tally.note(
                f"guild {g.index} {where}: {actual}, expected {g.expected}", "at the end"
            )
        if actual.loop is not None and actual.loop != g.expected.loop:
            self.tally.state_mismatches[f"{where}: loop mode"] += 1


# -- run and report ------------------------------------------------------------------------


@dataclass
class Outcome:
    rss_process: int = 0
    rss_start: int = 0
    rss_end: int = 0
    setup_s: float = 0.0
    soak_s: float = 0.0
    settle_s: float = 0.0


async def soak(h: Harness, args: argparse.Namespace, out: Outcome) -> Soak:
    run = Soak(h, args)
    run.build_world()
    await run.join_voice()
    began = time.monotonic()
    overrides: dict[str, Any] = {}
    if args.database_url:
        overrides["database"] = {"url": SecretStr(args.database_url)}
    await h.start(**overrides)
    await run.start_playing()
    out.setup_s = time.monotonic() - began
    playing = sum(1 for g in run.guilds if g.expected.current is not None)
    print(
        f"setup: bot ready and {playing}/{len(run.guilds)} guilds playing in"
        f" {out.setup_s:.1f} s; soaking for {args.minutes:g} min ...",
        flush=True,
    )
    out.rss_start = settled_rss()
    began = time.monotonic()
    end = began + args.minutes * 60
    await asyncio.gather(run.fault_loop(end), *(run.guild_loop(g, end) for g in run.guilds))
    out.soak_s = time.monotonic() - began
    run.tally.not_playing_at_end = 0
    problem = await run.players_match(timeout=30.0)
    if problem:
        run.tally.note(f"players: {problem}", "at the end")
    else:
        run.tally.not_playing_at_end = 0
    out.settle_s = await run.settle()
    await run.final_check()
    out.rss_end = settled_rss()
    return run


def report(
    args: argparse.Namespace, run: Soak, out: Outcome, fake_errors: str | None, log: LogRecords
) -> int:
    t = run.tally
    handled = sum(t.answered.values()) + sum(t.errors.values())
    print(f"\n== soak: {args.guilds} guilds, {out.soak_s / 60:.1f} min, seed {args.seed} ==")
    print(
        f"commands handled: {handled} ({handled / max(out.soak_s, 1):.1f}/s; setup and"
        " read-backs included)"
    )
    print("  answered normally: " + ", ".join(f"{k} {v}" for k, v in t.answered.most_common()))
    print(f"errors: {sum(t.errors.values())}" + ("" if t.errors else " (none)"))
    for kind, n in t.errors.most_common():
        print(f"  {n:6d}  {kind}  (first: {t.examples.get(kind, '-')})")
    if t.mispredicted:
        print(
            "answers that disagreed with the prediction: "
            + ", ".join(f"{k} {v}" for k, v in t.mispredicted.most_common())
        )
    print(f"uncertain outcomes (timeout, apology, no answer) resolved by read-back: {t.uncertain}")
    injected, survived = sum(t.faults.values()), sum(t.survived.values())
    print(f"faults injected: {injected}, survived: {survived}")
    for kind in args.faults:
        times = sorted(t.recovery_s.get(kind, []))
        median = (
            f", recovered in median {times[len(times) // 2]:.1f} s, max {times[-1]:.1f} s"
            if times
            else ""
        )
        lavalink = kind.startswith("lavalink")
        sends = f", {t.voice_sends[kind]} voice gateway sends" if lavalink else ""
        print(f"  {kind:24} {t.survived[kind]}/{t.faults[kind]}{median}{sends}")
    lost, extra = sum(t.lost.values()), sum(t.extra.values())
    print(
        f"items lost: {lost}"
        + (f" ({dict(t.lost)})" if lost else "")
        + f"; items duplicated or unexpected: {extra}"
        + (f" ({dict(t.extra)})" if extra else "")
    )
    checked = sum(1 for g in run.guilds)
    queued = sum(sum(g.expected.items().values()) for g in run.guilds)
    print(
        f"  end state: {checked} guilds, {queued} tracks predicted; compared with /queue"
        " (every page) and with the database snapshot"
    )
    if t.reordered or t.state_mismatches:
        print(
            f"  order differences: {dict(t.reordered)}; state differences:"
            f" {dict(t.state_mismatches)}"
        )
    print(
        f"RSS: process start {out.rss_process / 1024:.1f} MiB; soak start (bot ready,"
        f" {args.guilds} guilds playing) {out.rss_start / 1024:.1f} MiB; end"
        f" {out.rss_end / 1024:.1f} MiB ({(out.rss_end - out.rss_start) / 1024:+.1f} MiB;"
        " the fakes keep every request, message and interaction)"
    )
    print(f"setup {out.setup_s:.0f} s, soak {out.soak_s:.0f} s, settle {out.settle_s:.0f} s")
    where = f"{args.guilds} guilds, {out.soak_s / 60:.1f} min"
    record(
        "soak",
        f"commands handled, errors ({where})",
        f"{handled:,} ({handled / max(out.soak_s, 1):.1f}/s), {sum(t.errors.values())} errors",
    )
    node_faults = [k for k in args.faults if k.startswith("lavalink") and t.recovery_s.get(k)]
    if node_faults:
        rebuilt = sorted(s for k in node_faults for s in t.recovery_s[k])
        record(
            "soak",
            "Lavalink faults: players rebuilt in (median / max); gateway voice sends",
            f"{rebuilt[len(rebuilt) // 2]:.1f} s / {rebuilt[-1]:.1f} s;"
            f" {sum(t.voice_sends[k] for k in node_faults)}",
        )
    record(
        "soak",
        "faults survived; queue items lost / duplicated",
        f"{survived}/{injected}; {lost} / {extra}",
    )
    if t.not_playing_at_end:
        print(
            f"  players at the end: {t.not_playing_at_end} guilds not playing the predicted track"
        )
    print("faults in order (seconds since setup began): " + ", ".join(run.fault_log))
    for section, notes in t.notes.items():
        print(f"details, {section} (first {NOTES_PER_SECTION}):")
        for note in notes:
            print(f"  - {note[:1200]}")
    if fake_errors:
        print(f"fake Discord recorded errors: {fake_errors[:1500]}")
    total = sum(log.seen.values())
    print(
        f"bot log at WARNING or above: {total or 'nothing'}"
        + (" records; most frequent:" if total else "")
    )
    for text, count in log.seen.most_common(12):
        print(f"  {count:5d} x {text}")
    apologies = t.errors["apology (unexpected error)"]
    failed = lost or extra or survived < injected or apologies or t.not_playing_at_end
    if failed:
        print(
            f"exit 1: {lost} lost, {extra} unexpected, {injected - survived} faults not"
            f" survived, {apologies} apologies, {t.not_playing_at_end} guilds not playing"
        )
    return 1 if failed else 0


class LogRecords:
    """The bot's WARNING+ log records, summarised by origin, message and exception type."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def __call__(self, message: Any) -> None:
        record = message.record
        exc = record["exception"]
        text = re.sub(r"\d+(\.\d+)?", "N", record["message"].splitlines()[0])[:110]
        kind = f" [{exc.type.__name__}]" if exc is not None and exc.type is not None else ""
        self.seen[
            f"{record['level'].name} {record['name']}.{record['function']}: {text}{kind}"
        ] += 1


async def main_async(args: argparse.Namespace) -> int:
    setup_logging(LoggingSettings(level="WARNING"), stream=io.StringIO())
    records = LogRecords()
    logger.add(records, level="WARNING")
    if args.log_file:
        logger.add(args.log_file, level="INFO", backtrace=False, diagnose=False)
    warnings.filterwarnings("ignore", category=mafic.warnings.UnsupportedVersionWarning)
    out = Outcome(rss_process=rss_kib())
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}")
    result: list[Soak] = []

    async def body(h: Harness) -> None:
        result.append(await soak(h, args, out))

    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        fake_errors = await teardown_errors(body, Path(tmp))
    if not result:
        print("the soak did not finish")
        return 1
    return report(args, result[0], out, fake_errors, records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the soak")
    parser.add_argument("--guilds", type=int, default=200)
    parser.add_argument(
        "--rate", type=float, default=40.0, help="commands per second over all guilds (on average)"
    )
    parser.add_argument(
        "--recovery-timeout",
        type=float,
        default=300.0,
        help="seconds a fault may take to be over before it counts as not survived",
    )
    parser.add_argument(
        "--fault-every",
        type=float,
        default=5.0,
        help="seconds between the end of one fault and the next",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="e.g. a PostgreSQL URL; default: SQLite")
    parser.add_argument("--log-file", type=Path, help="also write the bot's INFO log here")
    parser.add_argument(
        "--faults",
        type=lambda text: tuple(k.strip() for k in text.split(",") if k.strip()),
        default=FAULTS,
        help=f"comma-separated faults to inject, of: {', '.join(FAULTS)} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="1 minute, 20 guilds")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.guilds = 1.0, 20
    if args.guilds < 1 or args.minutes <= 0 or args.rate <= 0 or args.fault_every <= 0:
        parser.error("--guilds, --minutes, --rate and --fault-every must be positive")
    unknown = set(args.faults) - set(FAULTS)
    if unknown or not args.faults:
        parser.error(f"--faults: unknown {sorted(unknown)}; choose from {', '.join(FAULTS)}")
    for key in [k for k in os.environ if k.startswith("BOT_")]:
        del os.environ[key]  # like tests/conftest.py: the settings come from the harness
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
