"""Bearer API keys: who is calling, what they may do, in which guild, and how often.

Checks, in order: a key is sent (401), it is a live key (401), it is within
its rate limit (429), its scope allows the action (403), its guild is the
request's guild (403).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from aiohttp import web
from cachetools import TTLCache

from bot.api.errors import ApiError
from bot.api.middleware import PORT
from bot.api.port import KeyVerifier
from bot.db.api_keys import ApiKeyRecord, KeyScope
from bot.errors import RateLimited
from bot.rate_limit import SlidingWindowLimiter

LIMITER: web.AppKey[SlidingWindowLimiter] = web.AppKey("key_limiter", SlidingWindowLimiter)
RATE_WINDOW_S = 60.0


class CachedKeys:
    """Remembers keys that verified for `ttl` seconds, sparing a database read per request.

    Only successes are kept, so a new key works at once; a key revoked from the
    command line (another process) stops working within `ttl` seconds.
    """

    def __init__(
        self,
        keys: KeyVerifier,
        ttl: float,
        *,
        max_size: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = keys
        self._cache: TTLCache[str, ApiKeyRecord] | None = (
            TTLCache(maxsize=max_size, ttl=ttl, timer=clock) if ttl > 0 else None
        )

    async def verify(self, token: str) -> ApiKeyRecord | None:
        """The live key for `token`, from the cache or the store."""
        if self._cache is None:
            return await self._keys.verify(token)
        digest = hashlib.sha256(token.encode()).hexdigest()
        key = self._cache.get(digest)
        if key is None:
            key = await self._keys.verify(token)
            if key is not None:
                self._cache[digest] = key
        return key


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
