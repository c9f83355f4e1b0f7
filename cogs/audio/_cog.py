"""The audio side: answers commands from the bus using Lavalink through mafic."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mafic
from discord.ext import commands

from bot.audio_commands import NodeStatus, Ping, PingResult
from bot.bus import Channel
from bot.nodes import NodeConnector

if TYPE_CHECKING:
    from bot.app import MusicBot


class AudioCog(commands.Cog, name="audio"):
    """Owns the Lavalink nodes and serves `discord-bot:commands`."""

    def __init__(self, bot: MusicBot) -> None:
        self.bot = bot
        self.nodes = NodeConnector(bot, bot.settings.lavalink.nodes)

    async def cog_load(self) -> None:
        """Start connecting nodes and begin serving commands."""
        self.nodes.start()
        self.bot.bus.serve(Channel.COMMANDS, self.handle)

    async def cog_unload(self) -> None:
        """Stop serving, then close the nodes."""
        self.bot.bus.stop_serving(Channel.COMMANDS)
        await self.nodes.close()

    async def handle(self, command: Any) -> Any:
        """Dispatch one command from the bus."""
        if isinstance(command, Ping):
            return self.ping()
        raise TypeError(f"the audio side does not know {type(command).__name__}")

    def ping(self) -> PingResult:
        """The state of every configured node."""
        return PingResult(
            nodes=tuple(
                NodeStatus(label=node.label, available=node.available, players=len(node.players))
                for node in self.nodes.nodes()
            )
        )

    @commands.Cog.listener()
    async def on_node_ready(self, node: mafic.Node[Any]) -> None:
        """Keep the nodes gauge right when a node (re)connects."""
        self.nodes.refresh_gauge()
