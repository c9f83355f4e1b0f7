"""Request bodies of the REST API, validated strictly; their JSON Schemas go into OpenAPI.

The limits are the slash commands' (`/volume` 0–200, positions 1–10000, a query
of at most 500 characters), so the API accepts exactly what Discord users can send.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.api.errors import bad_request, invalid

MAX_POSITION = 10_000
# The loader refuses longer queries; checking here makes it a 422 instead of a 409.
MAX_QUERY_LENGTH = 500


class Body(BaseModel):
    """Base of request bodies: no unknown keys, no type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True)


class PlayBody(Body):
    """Play or queue a link or a search."""

    query: str = Field(
        min_length=1,
        max_length=MAX_QUERY_LENGTH,
        pattern=r"\S",
        description="A link, or words to search for.",
    )
    next_up: bool = Field(default=False, description="Put it first in line.")


class SkipBody(Body):
    """Skip the current track, or jump to an upcoming position."""

    to: int | None = Field(default=None, ge=1, le=MAX_POSITION)


class SeekBody(Body):
    """Where to jump: `1:23` or `83` (seconds), `+10` or `-10` to move."""

    position: str = Field(min_length=1, max_length=20, examples=["1:23", "+10"])


class VolumeBody(Body):
    """The volume in percent."""

    level: int = Field(ge=0, le=200)


class LoopBody(Body):
    """Loop nothing, the track, or the whole queue."""

    mode: Literal["off", "track", "queue"]


class MoveBody(Body):
    """Move the upcoming track at `source` to `target` (1-based)."""

    source: int = Field(ge=1, le=MAX_POSITION)
    target: int = Field(ge=1, le=MAX_POSITION)


B = TypeVar("B", bound=Body)


async def read_body(request: web.Request, model: type[B]) -> B:
    """Parse and validate the JSON body (an empty body counts as `{}`)."""
    raw = await request.read()
    data: Any = {}
    if raw.strip():
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise bad_request("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(describe(exc)) from None


def describe(error: ValidationError) -> str:
    """The first problem, naming the field; the input value is never echoed."""
    first = error.errors(include_input=False, include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
    return f"{field}: {message}"
