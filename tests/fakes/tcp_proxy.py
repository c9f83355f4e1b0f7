"""A TCP proxy on 127.0.0.1 that a test cuts and restores, to take a server "off the network".

    async with TcpProxy(5432) as proxy:          # listens on 127.0.0.1:<proxy.port>
        ...                                      # clients connect through proxy.port
        await proxy.cut()                        # every connection dropped, new ones refused
        await proxy.cut(hold=True)               # ... or accepted and never answered
        await proxy.restore()                    # forwarding again

`cut()` aborts every open connection (the client sees its socket reset, as
when a server dies) and then either stops listening, so a connect fails at
once with "connection refused" (the server is down), or, with `hold=True`,
accepts connections and never sends a byte (a network that swallows packets:
the client waits for its own connect timeout). `restore()` listens and
forwards again on the same port; connections held meanwhile are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

__all__ = ["TcpProxy"]

_CHUNK = 64 * 1024


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target_host`:`target_port` until cut."""

    def __init__(
        self, target_port: int, target_host: str = "127.0.0.1", *, host: str = "127.0.0.1"
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = 0
        self.accepted = 0  # connections forwarded since start
        self.held = 0  # connections accepted and left unanswered since start
        self._server: asyncio.Server | None = None
        self._hold = False
        self._released = asyncio.Event()
        self._connections: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def is_cut(self) -> bool:
        """Whether the proxy is cut (refusing or holding)."""
        return self._server is None or self._hold

    @property
    def open_connections(self) -> int:
        """Connections being forwarded or held right now."""
        return len(self._connections)

    async def start(self) -> None:
        """Listen (on a free port the first time, on the same port after a cut)."""
        self._server = await asyncio.start_server(self._on_client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self, *, hold: bool = False) -> None:
        """Drop every connection; then refuse new ones, or accept and ignore them (`hold`)."""
        self._hold = hold
        self._released = asyncio.Event()
        if not hold:
            await self._stop_listening()
        else:
            await self._drop_all()
            if self._server is None:
                await self.start()

    async def restore(self) -> None:
        """Forward new connections again (held ones are dropped: their clients gave up)."""
        self._hold = False
        self._released.set()
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        """Stop listening and drop everything."""
        self._released.set()
        await self._stop_listening()

    async def _stop_listening(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        # Before waiting: from Python 3.12 on, wait_closed() waits for open connections.
        await self._drop_all()
        if server is not None:
            await server.wait_closed()

    async def _drop_all(self) -> None:
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            if self._hold:
                self.held += 1
                await self._released.wait()
                return
            await self._forward(reader, writer)
        except asyncio.CancelledError:
            pass  # cut: the connection dies with the task
        finally:
            self._connections.discard(task)
            writer.transport.abort()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            return
        self.accepted += 1
        pumps = {
            asyncio.create_task(_pump(reader, up_writer)),
            asyncio.create_task(_pump(up_reader, writer)),
        }
        try:
            # Either side closing ends the connection for both, as a dead server would.
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            up_writer.transport.abort()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
