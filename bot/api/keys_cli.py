"""`python -m bot api-key create|list|revoke`: manage REST API keys in the bot's database."""

from __future__ import annotations

import argparse

from bot.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `api-key` subcommand to the CLI."""
    keys = sub.add_parser("api-key", help="create, list and revoke REST API keys")
    actions = keys.add_subparsers(dest="key_command", required=True)
    create = actions.add_parser("create", help="create a key and print it (shown only once)")
    where = create.add_mutually_exclusive_group(required=True)
    where.add_argument("--guild", type=int, help="the server (guild id) the key works in")
    where.add_argument("--all-guilds", action="store_true", help="a key for every server")
    create.add_argument("--scope", choices=("read", "control"), default="read")
    create.add_argument("--label", default="", help="a note to recognise the key by")
    actions.add_parser("list", help="list keys (never their secrets)")
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("id", type=int)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one `api-key` action; returns the exit code."""
    from bot.db import Database
    from bot.db.api_keys import ApiKeyStore, KeyScope
    from bot.runner import apply_logging

    apply_logging(settings)
    db = Database(settings.database_url, slow_query_ms=settings.database.slow_query_ms)
    await db.connect()
    try:
        await db.ensure_schema(auto_upgrade=settings.database.auto_upgrade)
        store = ApiKeyStore(db)
        if args.key_command == "create":
            issued = await store.create(
                guild_id=None if args.all_guilds else args.guild,
                scope=KeyScope(args.scope),
                label=args.label,
            )
            where = "every server" if issued.record.guild_id is None else issued.record.guild_id
            print(f"API key {issued.record.id} ({issued.record.scope.value}, {where}):")
            print(issued.token)
            print("Keep it now: it is stored hashed and cannot be shown again.")
            return 0
        if args.key_command == "list":
            for key in await store.list():
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
                guild = key.guild_id if key.guild_id is not None else "all"
                print(
                    f"{key.id}\tmbk_{key.prefix}_…\t{key.scope.value}\tguild {guild}\t"
                    f"{key.created_at:%Y-%m-%d}\t{state}\t{key.label}"
                )
            return 0
        if await store.revoke(args.id):
            print(f"API key {args.id} revoked.")
            return 0
        print(f"No active API key with id {args.id}.")
        return 1
    finally:
        await db.close()
