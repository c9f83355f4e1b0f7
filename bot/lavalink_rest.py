"""REST calls to a Lavalink node that mafic 2.11 has no public method for.

`/v4/info` and the plugins' routes (SponsorBlock, LavaLyrics) go through the
node's own request method, so they use its HTTP session and password and get
mafic's exception types for HTTP errors (HTTPBadRequest, HTTPNotFound, …).
That method is private (`Node.__request`); this module is the only place that
touches it (mafic is pinned to 2.11.x in pyproject.toml).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import mafic

__all__ = ["node_request"]


async def node_request(
    node: mafic.Node[Any],
    method: str,
    path: str,
    *,
    json: Any = None,
    params: dict[str, str] | None = None,
) -> Any:
    """`method /v4/<path>` on `node`; the decoded JSON, or None for an empty answer.

    Plugin routes written as Spring `void` handlers answer 200 with no body and
    no content type, which mafic would try to decode as JSON: that counts as an
    empty answer here, like a 204.
    """
    request = node._Node__request  # type: ignore[attr-defined]
    try:
        return await request(method, path, json=json, params=params)
    except aiohttp.ContentTypeError as exc:
        if 200 <= exc.status < 300:
            return None
        raise
