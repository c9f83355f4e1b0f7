"""Bearer API keys: who is calling, what they may do, in which guild, and how often.

Checks, in order: a key is sent (401), it is a live key (401), it is within
its rate limit (429), its scope allows the action (403), its guild is the
request's guild (403).
"""

from __future__ import annotations

from aiohttp import web

from bot.api.errors import ApiError
from bot.api.middleware import PORT
from bot.db.api_keys import ApiKeyRecord, KeyScope
from bot.errors import RateLimited
from bot.rate_limit import SlidingWindowLimiter

LIMITER: web.AppKey[SlidingWindowLimiter] = web.AppKey("key_limiter", SlidingWindowLimiter)
RATE_WINDOW_S = 60.0


def _unauthorized(message: str, error: str | None = None) -> ApiError:
    challenge = 'Bearer realm="api"' + (f', error="{error}"' if error else "")
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})


async def authenticate(request: web.Request, scope: KeyScope) -> ApiKeyRecord:
    """The caller's key, allowed `scope` and within its rate limit, or an ApiError."""
    port = request.app[PORT]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Send an API key: `Authorization: Bearer <key>`.")
    keys = port.keys
    if keys is None:
        raise ApiError(503, "unavailable", "API keys cannot be checked right now.")
    key = await keys.verify(token)
    if key is None:
        raise _unauthorized("This API key is not valid or was revoked.", "invalid_token")
    retry_after = request.app[LIMITER].hit(key.id, port.settings.requests_per_minute)
    if retry_after > 0:
        raise RateLimited(retry_after)
    if scope is KeyScope.CONTROL and key.scope is not KeyScope.CONTROL:
        raise ApiError(403, "insufficient_scope", "This key can only read; use a control key.")
    return key


def check_guild(key: ApiKeyRecord, guild_id: int) -> None:
    """Refuse a key made for another guild."""
    if not key.allows_guild(guild_id):
        raise ApiError(403, "forbidden", "This API key is for another server.")
