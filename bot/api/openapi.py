"""The OpenAPI 3.1 document, built from the route table (`rest.OPERATIONS`) and the request
models, so that what it says and what the server does cannot drift apart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.version import __version__

if TYPE_CHECKING:
    from bot.api.rest import Operation
    from bot.settings import ApiSettings

PREFIX = "/api/v1"
SNOWFLAKE = {"type": "string", "pattern": "^[0-9]{1,20}$"}
NULLABLE_STRING = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    """A closed object whose every property is always present."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


TRACK = _object(
    {
        "title": {"type": "string"},
        "author": {"type": "string"},
        "uri": NULLABLE_STRING,
        "length_ms": {"type": "integer", "description": "0 for streams"},
        "identifier": {"type": "string"},
        "source": {"type": "string"},
        "artwork_url": NULLABLE_STRING,
        "is_stream": {"type": "boolean"},
        "requester_id": {"type": ["string", "null"]},
    }
)
PLAYER_FIELDS: dict[str, Any] = {
    "guild_id": SNOWFLAKE,
    "guild_name": {"type": "string"},
    "voice_channel_id": {"type": ["string", "null"], "description": "Where the bot is in voice"},
    "track": {"oneOf": [_ref("Track"), {"type": "null"}]},
    "playing": {"type": "boolean"},
    "paused": {"type": "boolean"},
    "position_ms": {"type": "integer", "minimum": 0},
    "volume": {"type": "integer", "minimum": 0, "maximum": 200},
    "loop": {"type": "string", "enum": ["off", "track", "queue"]},
    "queue_length": {"type": "integer", "minimum": 0},
}
QUEUE = _object(
    {
        "page": {"type": "integer", "minimum": 1},
        "pages": {"type": "integer", "minimum": 1},
        "total_ms": {"type": "integer", "minimum": 0},
        "items": {
            "type": "array",
            "items": _object({"position": {"type": "integer"}, "track": _ref("Track")}),
        },
    }
)
SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {"type": "string", "description": "Stable, for programs"},
                    "message": {"type": "string", "description": "For people"},
                }
            )
        }
    ),
    "Track": TRACK,
    "Player": _object(PLAYER_FIELDS),
    "PlayerDetail": _object({**PLAYER_FIELDS, "queue": QUEUE}),
    "PlayerList": _object({"players": {"type": "array", "items": _ref("Player")}}),
    "Done": _object({"message": {"type": "string"}}),
    "PlayResult": _object(
        {
            "message": {"type": "string"},
            "started": {"type": "boolean"},
            "position": {"type": "integer", "description": "0 when it started playing"},
            "playlist": NULLABLE_STRING,
            "dropped": {"type": "integer", "description": "Left out by the queue limit"},
            "tracks": {"type": "array", "items": _ref("Track")},
        }
    ),
}
ERRORS = {
    400: "The request cannot be read: bad JSON, or a path id that is not a number.",
    401: "No API key, or one that is unknown or revoked.",
    403: "The key is for another server, or may only read.",
    404: "The bot is not in that server.",
    409: "Refused in the server's current state: nothing playing, not in voice, queue full.",
    413: "The body is larger than `api.max_body_bytes`.",
    422: "A field is wrong: out of range, unknown, or a time or position that does not fit.",
    429: "Too many requests with this key; see Retry-After.",
    503: "The music service is not available right now.",
    504: "The music service did not answer in time.",
}


def _error(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERRORS[status],
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    return response


def _operation(op: Operation) -> dict[str, Any]:
    statuses = [401, 403, 429, 503, 504]
    parameters: list[dict[str, Any]] = list(op.query)
    if op.guild:
        statuses += [400, 404]
        parameters.append({"name": "guild_id", "in": "path", "required": True, "schema": SNOWFLAKE})
    if "{position}" in op.path:
        parameters.append(
            {
                "name": "position",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": "^[0-9]{1,5}$"},
                "description": "1-based position among the upcoming tracks",
            }
        )
    if op.voice:
        statuses += [409, 422]
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,128}$"},
                "description": (
                    "Any unique string of yours: the same request again with the same key "
                    "(and API key) gets the first answer instead of running twice, for 15 minutes"
                ),
            }
        )
    if op.query:
        statuses.append(422)
    spec: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "description": f"Needs a `{op.scope.value}` key.",
        "parameters": parameters,
        "security": [{"bearer": []}],
        "responses": {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": _ref(op.response)}},
            },
            **{str(s): _error(s) for s in sorted(set(statuses))},
        },
    }
    if op.body is not None:
        schema = op.body.model_json_schema()
        statuses += [400, 413, 422]
        spec["responses"].update({str(s): _error(s) for s in (400, 413, 422)})
        spec["requestBody"] = {
            "required": bool(schema.get("required")),
            "content": {"application/json": {"schema": schema}},
        }
    return spec


def document(operations: tuple[Operation, ...], settings: ApiSettings) -> dict[str, Any]:
    """The OpenAPI document for `operations`."""
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(PREFIX + op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Discord music bot API",
            "version": __version__,
            "description": (
                "Control the bot's players. Every action is the same command as the slash "
                "command, run as if from the bot's own voice channel. Keys: "
                "`python -m bot api-key create --guild ID --scope read|control`. "
                f"Rate limit: {settings.requests_per_minute} requests per minute per key."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
