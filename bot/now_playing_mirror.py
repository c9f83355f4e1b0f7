"""`discord-bot:ui:now` across processes: any process's status page and API show every guild.

With the Redis bus each process plays its own shards' guilds. The mirror
copies each `NowPlayingUpdate` the process publishes to Redis: the guild's
newest update in a hash (for a process that starts or reconnects later) and on
a pub/sub channel (for those already listening), both named
`<prefix>discord-bot:ui:now`. Updates from other processes are handed to the
bus's subscribers that asked for them (`subscribe(..., remote=True)`: the API's
board), never to the gateway, which edits only its own guilds' messages.

Writes never hold up a publisher: the newest update of each guild waits in an
outbox that one task sends. An entry carries the wall-clock time it was sent,
so a reader extrapolates the position of a track that has been playing since.
On every (re)connect a process writes its guilds again and drops entries of its
shards that it no longer plays (left by an earlier run that crashed); on a
clean stop it removes its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from loguru import logger

from bot.bus_codec import CodecError, decode, encode
from bot.messages import NowPlayingUpdate
from bot.redis_subscription import REDIS_DOWN

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["NowPlayingMirror"]

MIRROR_NAME = "discord-bot:ui:now"
_Sent = tuple[NowPlayingUpdate, str]  # an update and its entry as written to Redis
WRITE_TIMEOUT_S = 2.0


class NowPlayingMirror:
    """This process's now-playing updates out to Redis; the other processes' in to `deliver`."""

    def __init__(
        self,
        redis: Redis,
        *,
        owns: Callable[[int], bool],
        deliver: Callable[[NowPlayingUpdate], None],
        process_id: str,
        prefix: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._owns = owns
        self._deliver = deliver
        self.process_id = process_id
        self.key = self.channel = f"{prefix}{MIRROR_NAME}"
        self._clock = clock
        # Our guilds that play: the newest update and its entry (stamped when it was made,
        # so sending it again is no news to a process that has it).
        self._local: dict[int, _Sent] = {}
        self._remote: set[int] = set()  # other processes' guilds handed to `deliver`
        # When the newest update of each other guild was sent: a reload's snapshot may be
        # older than an update that arrived on the channel meanwhile.
        self._sent_at: dict[int, float] = {}
        self._outbox: dict[int, _Sent] = {}
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False

    # -- out ---------------------------------------------------------------------------

    def share(self, update: NowPlayingUpdate) -> None:
        """Send an update of one of this process's guilds to the others (in the background)."""
        if self._closing or not self._owns(update.guild_id):
            return
        sent = (update, self._entry(update))
        if update.state is None:
            self._local.pop(update.guild_id, None)
        else:
            self._local[update.guild_id] = sent
        self._outbox[update.guild_id] = sent
        self._wake.set()
        if self._writer is None:
            self._writer = asyncio.create_task(self._send_forever(), name="bus:redis:ui-now")

    async def _send_forever(self) -> None:
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            batch, self._outbox = self._outbox, {}
            try:
                await self._write(batch.values(), gone=())
            except REDIS_DOWN as exc:
                # Written again from `_local` once Redis is back (on_connected).
                logger.debug("ui:now mirror: {} update(s) not sent: {}", len(batch), exc)

    async def _write(self, updates: Iterable[_Sent], gone: Iterable[int]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        count = 0
        for update, entry in updates:
            if update.state is None:
                pipe.hdel(self.key, str(update.guild_id))
            else:
                pipe.hset(self.key, str(update.guild_id), entry)
            pipe.publish(self.channel, entry)
            count += 1
        for guild_id in gone:
            pipe.hdel(self.key, str(guild_id))
            pipe.publish(
                self.channel, self._entry(NowPlayingUpdate(guild_id=guild_id, reason="gone"))
            )
            count += 1
        if count:
            async with asyncio.timeout(WRITE_TIMEOUT_S):
                await pipe.execute()

    def _entry(self, update: NowPlayingUpdate) -> str:
        return json.dumps({"from": self.process_id, "at": self._clock(), "update": encode(update)})

    # -- in ----------------------------------------------------------------------------

    def on_update(self, raw: bytes | str) -> None:
        """An update another process published (pub/sub)."""
        read = self._read(raw)
        if read is not None:
            self._take(*read)

    async def on_connected(self) -> None:
        """Write our guilds again, drop our shards' leftovers, then load the others' guilds."""
        try:
            entries: dict[bytes, bytes] = await self._redis.hgetall(self.key)  # type: ignore[misc]
            leftovers = [
                int(raw_id)
                for raw_id in entries
                if self._owns(int(raw_id)) and int(raw_id) not in self._local
            ]
            await self._write(list(self._local.values()), gone=leftovers)
        except REDIS_DOWN as exc:
            logger.warning("ui:now mirror: could not reload from Redis: {}", exc)
            return
        seen = set()
        for raw in entries.values():
            read = self._read(raw)
            if read is not None and read[0].state is not None:
                seen.add(read[0].guild_id)
                self._take(*read)
        for guild_id in self._remote - seen:  # stopped while we were away
            gone_at = self._sent_at.get(guild_id, 0.0) + 1e-6
            self._take(NowPlayingUpdate(guild_id=guild_id, reason="gone"), gone_at)

    def _read(self, raw: bytes | str) -> tuple[NowPlayingUpdate, float] | None:
        try:
            data = json.loads(raw)
            if data.get("from") == self.process_id:
                return None
            update = decode(data["update"])
            sent_at = float(data["at"])
        except (ValueError, KeyError, TypeError, AttributeError, CodecError) as exc:
            logger.warning("ui:now mirror: ignored an unreadable update: {}", exc)
            return None
        if not isinstance(update, NowPlayingUpdate) or self._owns(update.guild_id):
            return None  # ours are published in this process
        return _advanced(update, max(0.0, self._clock() - sent_at)), sent_at

    def _take(self, update: NowPlayingUpdate, sent_at: float) -> None:
        if sent_at <= self._sent_at.get(update.guild_id, float("-inf")):
            return  # already have this one, or a newer one
        self._sent_at[update.guild_id] = sent_at
        if update.state is None:
            if update.guild_id not in self._remote:
                return
            self._remote.discard(update.guild_id)
        else:
            self._remote.add(update.guild_id)
        self._deliver(update)

    # -- lifecycle -----------------------------------------------------------------------

    async def close(self) -> None:
        """Stop sending, and take this process's guilds off the other processes' pages."""
        # Not cancelled mid-write: redis-py can swallow a cancellation, leaving the task
        # waiting for ever. The last batch goes out, then the loop ends.
        writer, self._writer = self._writer, None
        self._closing = True
        self._wake.set()
        if writer is not None:
            await asyncio.wait({writer}, timeout=WRITE_TIMEOUT_S * 2)
            writer.cancel()
        with contextlib.suppress(*REDIS_DOWN):
            await self._write((), gone=list(self._local))


def _advanced(update: NowPlayingUpdate, seconds: float) -> NowPlayingUpdate:
    """The update as it stands `seconds` after it was sent: a playing track moved on."""
    state = update.state
    if state is None or state.track is None or state.paused or seconds <= 0:
        return update
    position = state.position_ms + int(seconds * 1000)
    if state.track.length_ms > 0 and not state.track.is_stream:
        position = min(position, state.track.length_ms)
    return dataclasses.replace(update, state=dataclasses.replace(state, position_ms=position))
