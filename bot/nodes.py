"""Connecting the configured Lavalink nodes through mafic's NodePool, with retries."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from typing import Any

import mafic
from loguru import logger

from bot.metrics import NODES_UP
from bot.settings import LavalinkNode


class NodeConnector:
    """Owns the process's NodePool; connects each node in the background until it is up."""

    def __init__(
        self,
        client: Any,
        nodes: list[LavalinkNode],
        *,
        on_connected: Callable[[mafic.Node[Any]], Awaitable[None]] | None = None,
        max_backoff: float = 30.0,
    ):
        self.pool: mafic.NodePool[Any] = mafic.NodePool(client)
        self.configs = nodes
        self.on_connected = on_connected
        self.max_backoff = max_backoff
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Begin connecting every node; returns at once (nodes need the gateway ready)."""
        for config in self.configs:
            self._tasks.append(
                asyncio.create_task(self._connect(config), name=f"lavalink:{config.label}")
            )

    async def _connect(self, config: LavalinkNode) -> None:
        delay = 1.0
        while True:
            try:
                node = await self.pool.create_node(
                    host=config.host,
                    port=config.port,
                    label=config.label,
                    password=config.password.get_secret_value(),
                    secure=config.secure,
                    timeout=10,
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning(
                    "Lavalink node {} at {}:{} is not reachable ({}: {}); retrying in {:.0f}s",
                    config.label,
                    config.host,
                    config.port,
                    type(exc).__name__,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, self.max_backoff)
            else:
                logger.info("Lavalink node {} connected", config.label)
                self.refresh_gauge()
                # mafic dispatches node_ready before the pool lists the node; only now
                # can players be created on it.
                if self.on_connected is not None:
                    await self.on_connected(node)
                return

    def refresh_gauge(self) -> None:
        """Update the nodes-up gauge."""
        NODES_UP.set(len(self.pool.nodes))

    def nodes(self) -> list[mafic.Node[Any]]:
        """Every node the pool knows, available or not."""
        return list(mafic.NodePool.label_to_node.values())

    async def close(self) -> None:
        """Stop connecting and close every node (the pool is class-level in mafic: clear it)."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for node in self.nodes():
            with contextlib.suppress(Exception):
                await node.close()
        mafic.NodePool._nodes.clear()
        NODES_UP.set(0)
