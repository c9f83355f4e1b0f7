"""The HTTP side of the bot: health, readiness, metrics, info, REST API and status page.

`build_app` makes the aiohttp application from a `BotPort`, the narrow view of
the bot the server needs; `cogs/api` implements that port on the running bot
and starts and stops the server with it.
"""

from __future__ import annotations

from bot.api.port import BotPort, GuildRef, NodeInfo, ProcessInfo, Readiness
from bot.api.server import build_app

__all__ = ["BotPort", "GuildRef", "NodeInfo", "ProcessInfo", "Readiness", "build_app"]
