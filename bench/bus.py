"""Benchmark: in-process bus vs a Redis pub/sub round trip on 127.0.0.1:6379, same message.

Prints publish→deliver latency (p50/p99, one message in flight) and throughput
(publish N, wait for the last delivery) for both, and the ratio Redis / bus.
Run: `.venv/bin/python bench/bus.py [--messages N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._results import record
from bot.bus import Channel, EventBus
from bot.messages import NowPlayingUpdate

Publish = Callable[[NowPlayingUpdate], Awaitable[None]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def message(i: int) -> NowPlayingUpdate:
    return NowPlayingUpdate(guild_id=123456789012345678 + i, reason="track_start")


async def measure(n: int, publish: Publish, delivered: asyncio.Queue[float]) -> dict[str, float]:
    """Latency one at a time, then throughput with everything in flight."""
    latencies = []
    for i in range(n):
        start = time.perf_counter()
        await publish(message(i))
        latencies.append(await delivered.get() - start)
    start = time.perf_counter()
    for i in range(n):
        await publish(message(i))
    for _ in range(n):
        await delivered.get()
    elapsed = time.perf_counter() - start
    return {
        "p50_us": percentile(latencies, 0.50) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
        "msgs_per_s": n / elapsed,
    }


async def bench_bus(n: int) -> dict[str, float]:
    bus = EventBus(queue_size=n + 1)
    delivered: asyncio.Queue[float] = asyncio.Queue()

    async def sink(_msg: NowPlayingUpdate) -> None:
        delivered.put_nowait(time.perf_counter())

    bus.subscribe(Channel.UI_NOW, sink)

    async def publish(msg: NowPlayingUpdate) -> None:
        await bus.publish(Channel.UI_NOW, msg)

    try:
        return await measure(n, publish, delivered)
    finally:
        await bus.close()


async def bench_redis(n: int, url: str) -> dict[str, float]:
    import redis.asyncio as redis

    client = redis.from_url(url)
    pubsub = client.pubsub()
    await pubsub.subscribe(Channel.UI_NOW.value)
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    delivered: asyncio.Queue[float] = asyncio.Queue()

    async def reader() -> None:
        async for item in pubsub.listen():
            if item["type"] == "message":
                NowPlayingUpdate(**json.loads(item["data"]))  # decode like a real consumer
                delivered.put_nowait(time.perf_counter())

    task = asyncio.create_task(reader())

    async def publish(msg: NowPlayingUpdate) -> None:
        await client.publish(Channel.UI_NOW.value, json.dumps(asdict(msg)))

    try:
        return await measure(n, publish, delivered)
    finally:
        task.cancel()
        await pubsub.aclose()
        await client.aclose()


def print_row(name: str, result: dict[str, float]) -> None:
    """One line of the table."""
    p50, p99, rate = result["p50_us"], result["p99_us"], result["msgs_per_s"]
    print(f"{name:18}{p50:10.1f}{p99:10.1f}{rate:12.0f}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    bus = await bench_bus(args.messages)
    try:
        red = await bench_redis(args.messages, args.redis)
    except OSError as exc:
        red = None
        print(f"redis unavailable ({exc}); bus only")
    print(f"{'':18}{'p50 µs':>10}{'p99 µs':>10}{'msgs/s':>12}")
    print_row("in-process bus", bus)
    if red:
        print_row("redis pub/sub", red)
        print(
            f"ratio redis/bus: p50 latency x{red['p50_us'] / bus['p50_us']:.1f}, "
            f"p99 latency x{red['p99_us'] / bus['p99_us']:.1f}, "
            f"throughput bus/redis x{bus['msgs_per_s'] / red['msgs_per_s']:.1f}"
        )
        record(
            "bus",
            "publish → deliver p50 / p99, bus vs Redis pub/sub",
            f"{bus['p50_us']:.1f} / {bus['p99_us']:.1f} µs vs {red['p50_us']:.0f} / "
            f"{red['p99_us']:.0f} µs (Redis x{red['p50_us'] / bus['p50_us']:.1f} at p50)",
        )
        record(
            "bus",
            "throughput, bus vs Redis pub/sub",
            f"{bus['msgs_per_s']:,.0f} vs {red['msgs_per_s']:,.0f} msg/s "
            f"(bus x{bus['msgs_per_s'] / red['msgs_per_s']:.1f})",
        )


if __name__ == "__main__":
    asyncio.run(main())
