"""The Lavalink nodes: connecting them through mafic's NodePool and noticing when one is lost.

mafic 2.11 reconnects by itself after an abrupt drop (with a new session: the
players of the old one are gone on the server), but after a clean websocket
close it stops listening for good and still calls the node available. So a
watchdog looks at each node every `check_interval` seconds:

* a node whose listener has ended and that is not reconnecting was closed
  cleanly: it is dropped from the pool and connected again from scratch;
* a node that comes back with another session id lost its players.

Either way `on_lost(label)` is called once per outage, and `on_connected(node)`
each time a node is in the pool and ready for players.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from typing import Any

import mafic
from loguru import logger

from bot.lavalink_tracing import TracedNode
from bot.metrics import LAVALINK_EVENTS, NODE_STATE, NODE_STATES, NODES_UP
from bot.settings import LavalinkNode

NodeCallback = Callable[[mafic.Node[Any]], Awaitable[None]]
LostCallback = Callable[[str], Awaitable[None]]


_POOL: Any = mafic.NodePool
"""mafic's pool: its class properties are typed as if read from an instance, hence `Any`."""


def pool_nodes() -> list[mafic.Node[Any]]:
    """Every node in mafic's pool, up or not."""
    return list(_POOL.label_to_node.values())


def nodes_by_label() -> dict[str, mafic.Node[Any]]:
    """mafic's own label → node map (changes to it change the pool)."""
    return _POOL.label_to_node


def is_listening(node: mafic.Node[Any]) -> bool:
    """Whether mafic still reads the node's websocket.

    mafic has no public flag for this; its private `_ws`/`_ws_task` are read
    here only (mafic is pinned to 2.11.x in pyproject.toml).
    """
    ws = getattr(node, "_ws", None)
    task = getattr(node, "_ws_task", None)
    return ws is not None and not ws.closed and task is not None and not task.done()


def is_reconnecting(node: mafic.Node[Any]) -> bool:
    """Whether mafic is already reconnecting the node by itself (after an abrupt drop)."""
    task = getattr(node, "_connect_task", None)
    return task is not None and not task.done()


async def _discard(node: mafic.Node[Any]) -> None:
    """Close a node that never joined the pool (it owns an HTTP session all the same)."""
    with contextlib.suppress(Exception):
        await node.close()


class NodeConnector:
    """Owns the process's NodePool: connects, watches and reconnects every configured node."""

    def __init__(
        self,
        client: Any,
        nodes: list[LavalinkNode],
        *,
        on_connected: NodeCallback | None = None,
        on_lost: LostCallback | None = None,
        check_interval: float = 1.0,
        max_backoff: float = 30.0,
    ):
        self.client = client
        self.pool: mafic.NodePool[Any] = mafic.NodePool(client)
        self.configs = {config.label: config for config in nodes}
        self.on_connected = on_connected
        self.on_lost = on_lost
        self.check_interval = check_interval
        self.max_backoff = max_backoff
        self._sessions: dict[str, str | None] = {}
        self._lost: set[str] = set()
        self._connecting: dict[str, asyncio.Task[None]] = {}
        self._watchdog: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin connecting every node and watching them; returns at once."""
        for label in self.configs:
            self._connect_soon(label)
        self._watchdog = asyncio.create_task(self._watch(), name="lavalink-watchdog")

    def _connect_soon(self, label: str) -> None:
        task = self._connecting.get(label)
        if task is None or task.done():
            self._connecting[label] = asyncio.create_task(
                self._connect(self.configs[label]), name=f"lavalink:{label}"
            )

    async def _connect(self, config: LavalinkNode) -> None:
        delay = 1.0
        while True:
            node: mafic.Node[Any] = TracedNode(
                host=config.host,
                port=config.port,
                label=config.label,
                password=config.password.get_secret_value(),
                client=self.client,
                secure=config.secure,
                timeout=10,
            )
            try:
                await self.pool.add_node(node)
            except asyncio.CancelledError:
                await _discard(node)
                raise
            except Exception as exc:
                await _discard(node)
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
                # mafic dispatches node_ready before the pool lists the node; only now
                # can players be created on it.
                await self.node_ready(node)
                return

    async def node_ready(self, node: mafic.Node[Any]) -> None:
        """A node is (again) ready: report a lost session, then report it usable."""
        if self.pool.label_to_node.get(node.label) is not node:
            return  # mafic's own ready event before the pool lists it: _connect reports it
        self.refresh_gauge()
        previous = self._sessions.get(node.label)
        if previous == node.session_id and node.label not in self._lost:
            return  # this session was reported already (mafic's event and _connect both call)
        self._sessions[node.label] = node.session_id
        if previous is not None and previous != node.session_id:
            await self._report_lost(node.label, "came back with a new session")
        self._lost.discard(node.label)
        if self.on_connected is not None:
            await self.on_connected(node)

    async def node_unavailable(self, node: mafic.Node[Any]) -> None:
        """mafic saw the websocket drop and is reconnecting: its players are gone."""
        self.refresh_gauge()
        await self._report_lost(node.label, "dropped its connection")

    async def _report_lost(self, label: str, why: str) -> None:
        if label in self._lost:
            return
        self._lost.add(label)
        LAVALINK_EVENTS.labels("node_lost", "ok").inc()
        logger.warning("Lavalink node {} {}; rebuilding its players", label, why)
        if self.on_lost is not None:
            await self.on_lost(label)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.check_interval)
            self.refresh_gauge()
            for label, node in list(self.pool.label_to_node.items()):
                if is_listening(node) or is_reconnecting(node):
                    continue
                # Closed cleanly: mafic will not come back by itself.
                self.pool.label_to_node.pop(label, None)
                with contextlib.suppress(Exception):
                    await node.close()
                self.refresh_gauge()
                self._sessions.pop(label, None)
                await self._report_lost(label, "closed its connection")
                self._connect_soon(label)

    def state(self, label: str) -> str:
        """`up`, `reconnecting` (mafic is on it), `down` (lost; we reconnect) or `connecting`."""
        node = self.pool.label_to_node.get(label)
        if node is not None and node.available and is_listening(node):
            return "up"
        if node is not None and is_reconnecting(node):
            return "reconnecting"
        return "down" if label in self._lost else "connecting"

    def refresh_gauge(self) -> None:
        """Update the nodes-up gauge and each node's state (labels come from the config)."""
        NODES_UP.set(len(self.pool.nodes))
        for label in self.configs:
            current = self.state(label)
            for state in NODE_STATES:
                NODE_STATE.labels(label, state).set(1 if state == current else 0)

    async def close(self) -> None:
        """Stop watching and connecting; close every node (mafic's pool is class-level)."""
        tasks = [t for t in (self._watchdog, *self._connecting.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for node in list(self.pool.label_to_node.values()):
            with contextlib.suppress(Exception):
                await node.close()
        nodes_by_label().clear()
        NODES_UP.set(0)
