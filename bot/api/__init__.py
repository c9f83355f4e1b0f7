"""The HTTP side of the bot: health, readiness, metrics, info, REST API and status page.

`bot.api.server.build_app` makes the aiohttp application from a `BotPort`
(`bot.api.port`), the narrow view of the bot the server needs; `cogs/api`
implements that port on the running bot and starts and stops the server with
it. `bot.api.keys_cli` is the `python -m bot api-key` command. This module
imports nothing, so the command line stays quick to start.
"""
