"""Discord: is the token accepted, and does the application allow the intents the bot asks for."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.doctor.http import HttpProblem, get_json
from bot.doctor.report import CheckResult
from bot.settings import Settings
from bot.version import __version__

__all__ = ["check_discord"]

PORTAL = "https://discord.com/developers/applications"
USER_AGENT = f"DiscordBot (https://github.com/discord-music-bot, {__version__})"

# Application flags that allow a privileged intent (the *_LIMITED ones apply below 100 guilds).
_PRIVILEGED = {
    "members": ("Server Members Intent", (1 << 14) | (1 << 15)),
    "presences": ("Presence Intent", (1 << 12) | (1 << 13)),
    "message_content": ("Message Content Intent", (1 << 18) | (1 << 19)),
}
_INTENT_NAMES = {"guilds": "guilds", "voice_states": "voice states"}


async def check_discord(settings: Settings, session: aiohttp.ClientSession) -> list[CheckResult]:
    """The token (`/users/@me`), then intents and application id (`/oauth2/applications/@me`)."""
    assert settings.discord.token is not None  # the config check requires it
    token = settings.discord.token.get_secret_value()
    base = settings.discord.api_base
    if shape := _token_shape_problem(token):
        return [CheckResult.fail("Discord token", shape, _reset_token_fix())]
    headers = {"Authorization": f"Bot {token}", "User-Agent": USER_AGENT}
    try:
        me = await get_json(session, f"{base}/users/@me", headers)
    except HttpProblem as problem:
        return [_token_failure(problem, base)]
    user = f"{me.get('username', '?')} (id {me.get('id', '?')})"
    results = [CheckResult.ok("Discord token", f"accepted, logged in as {user}")]
    try:
        application = await get_json(session, f"{base}/oauth2/applications/@me", headers)
    except HttpProblem as problem:
        results.append(
            CheckResult.warn(
                "Discord intents",
                f"could not read the application ({problem.summary})",
                "nothing to do now; run the doctor again later to check the intents",
            )
        )
        return results
    results.append(_intents_result(application))
    if (mismatch := _application_id_result(settings, application)) is not None:
        results.append(mismatch)
    return results


def _token_shape_problem(token: str) -> str | None:
    if token.lower().startswith("bot "):
        return "the token starts with 'Bot ': the bot adds that itself"
    if token.count(".") != 2 or any(c.isspace() for c in token):
        return "this is not a bot token (it should be three parts separated by dots)"
    return None


def _reset_token_fix() -> str:
    return (
        f"reset it in the Developer Portal ({PORTAL} > your application > Bot > Reset Token) "
        "and put the new token in BOT_DISCORD__TOKEN or [discord] token; copy the bot token, "
        "not the client secret or the application id"
    )


def _token_failure(problem: HttpProblem, base: str) -> CheckResult:
    if problem.status == 401:
        return CheckResult.fail("Discord token", "rejected (HTTP 401)", _reset_token_fix())
    if problem.status is None:
        return CheckResult.fail(
            "Discord token",
            f"cannot reach Discord at {base}: {problem.summary}",
            "check this machine's internet access, DNS and proxy; discord.api_base should be "
            "https://discord.com/api/v10 unless you run a proxy",
        )
    if problem.status == 429 or problem.status >= 500:
        return CheckResult.fail(
            "Discord token",
            f"Discord answered HTTP {problem.status}",
            "Discord is rate limiting or having trouble: wait a few minutes and run the doctor "
            "again (https://discordstatus.com)",
        )
    return CheckResult.fail(
        "Discord token",
        f"unexpected answer from {base}/users/@me: {problem.summary}",
        "check discord.api_base: it should be https://discord.com/api/v10",
    )


def _intents_result(application: dict[str, Any]) -> CheckResult:
    from bot.app import bot_intents

    intents = bot_intents()
    wanted = [name for name, on in intents if on]
    flags = int(application.get("flags") or 0)
    missing = [
        label for name, (label, mask) in _PRIVILEGED.items() if name in wanted and not flags & mask
    ]
    shown = ", ".join(_INTENT_NAMES.get(name, name) for name in wanted)
    if missing:
        return CheckResult.fail(
            "Discord intents",
            f"the bot needs {', '.join(missing)}, which the application does not allow",
            f"enable {', '.join(missing)} in the Developer Portal ({PORTAL} > your "
            "application > Bot > Privileged Gateway Intents)",
        )
    privileged = [n for n in wanted if n in _PRIVILEGED]
    note = "all allowed" if privileged else "none privileged, nothing to enable"
    return CheckResult.ok("Discord intents", f"{shown} ({note})")


def _application_id_result(settings: Settings, application: dict[str, Any]) -> CheckResult | None:
    configured = settings.discord.application_id
    actual = application.get("id")
    if configured is None or actual is None or str(configured) == str(actual):
        return None
    return CheckResult.fail(
        "Discord application id",
        f"discord.application_id is {configured} but the token belongs to application {actual}",
        f"set discord.application_id = {actual}, or remove it (the bot reads it at login)",
    )
