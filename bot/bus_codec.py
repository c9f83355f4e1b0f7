"""JSON for what crosses processes on the Redis bus: messages, results and errors.

Values are plain JSON where JSON can say what they are (str, int, float, bool,
None, list); everything else carries a tag:

* a dataclass → `{"$dc": "module:QualName", "f": {field: value, ...}}`
* an enum → `{"$enum": "module:QualName", "v": value}`
* a tuple, set or frozenset → `{"$tuple": [...]}`, `{"$set": [...]}`, `{"$frozenset": [...]}`
* a datetime → `{"$dt": "<ISO 8601>"}`; a dict → `{"$dict": [[key, value], ...]}`

Only the bot's own dataclasses and enums (modules under `bot.`) are decoded, so
a message from Redis can build nothing else. New message classes need no
registration: a class is found by its module and name.

Errors: the bot's own errors whose message is for people (`UserError`, the bus
errors, the database being unavailable) cross with their type, message and
plain attributes (`RateLimited.retry_after`, a `UserError`'s `text`: its catalog
key and parameters, so the receiving gateway renders it in the reader's
language); any other exception crosses as nothing but the fact that it
happened, so no internal detail leaks.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from datetime import datetime
from enum import Enum
from typing import Any

from bot.bus import BusError
from bot.db.errors import DatabaseUnavailableError
from bot.errors import UserError
from bot.i18n.text import Text, plain

__all__ = [
    "PORTABLE_ERRORS",
    "CodecError",
    "decode",
    "decode_error",
    "dumps",
    "encode",
    "encode_error",
    "loads",
]

ROOT_PACKAGE = "bot"
# Errors that keep their type across processes; the rest become a generic failure.
PORTABLE_ERRORS: tuple[type[Exception], ...] = (UserError, BusError, DatabaseUnavailableError)


class CodecError(ValueError):
    """A value that cannot be encoded, or data that does not decode to one of the bot's types."""


# -- values ---------------------------------------------------------------------


def encode(value: Any) -> Any:
    """`value` as JSON-ready data (see the module docstring for the tags)."""
    if isinstance(value, Enum):  # before str and int: StrEnum and IntEnum are both
        return {"$enum": _tag(type(value)), "v": encode(value.value)}
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
        }
        return {"$dc": _tag(type(value)), "f": fields}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, frozenset | set):
        kind = "$frozenset" if isinstance(value, frozenset) else "$set"
        return {kind: [encode(item) for item in value]}
    if isinstance(value, dict):
        return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
    raise CodecError(f"cannot send a {type(value).__name__} across processes")


def decode(data: Any) -> Any:
    """The value `encode` made `data` from."""
    if data is None or isinstance(data, str | bool | int | float):
        return data
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise CodecError("not an encoded value")
    if "$dc" in data:
        cls = _resolve(data["$dc"])
        if not dataclasses.is_dataclass(cls):
            raise CodecError(f"{data['$dc']} is not a message type")
        fields = data.get("f")
        if not isinstance(fields, dict):
            raise CodecError(f"{data['$dc']} without fields")
        try:
            return cls(**{name: decode(value) for name, value in fields.items()})
        except TypeError as exc:
            raise CodecError(f"{data['$dc']}: {exc}") from None
    if "$enum" in data:
        cls = _resolve(data["$enum"])
        if not issubclass(cls, Enum):
            raise CodecError(f"{data['$enum']} is not an enum")
        try:
            return cls(decode(data.get("v")))
        except ValueError as exc:
            raise CodecError(str(exc)) from None
    (kind, payload), *_ = data.items()
    if kind == "$dt" and isinstance(payload, str):
        return datetime.fromisoformat(payload)
    if kind in ("$tuple", "$set", "$frozenset") and isinstance(payload, list):
        items = [decode(item) for item in payload]
        return {"$tuple": tuple, "$set": set, "$frozenset": frozenset}[kind](items)
    if kind == "$dict" and isinstance(payload, list):
        return {decode(k): decode(v) for k, v in payload}
    raise CodecError(f"unknown tag {kind!r}")


def dumps(value: Any) -> str:
    """`value` as a JSON text."""
    return json.dumps(encode(value), separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    """The value a `dumps` text stands for; CodecError for anything else."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CodecError(f"not JSON: {exc}") from None
    return decode(data)


def _tag(cls: type) -> str:
    if not cls.__module__.split(".")[0] == ROOT_PACKAGE:
        raise CodecError(f"{cls.__qualname__} is not one of the bot's types")
    return f"{cls.__module__}:{cls.__qualname__}"


def _resolve(tag: Any) -> type:
    """The bot's class named by `tag`; never anything outside the bot's package."""
    if not isinstance(tag, str) or tag.count(":") != 1:
        raise CodecError(f"bad type tag {tag!r}")
    module_name, qualname = tag.split(":")
    if module_name.split(".")[0] != ROOT_PACKAGE:
        raise CodecError(f"{tag} is not one of the bot's types")
    module = sys.modules.get(module_name)
    if module is None:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise CodecError(f"no module {module_name}") from None
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if not isinstance(found, type) or found.__module__ != module_name:
        raise CodecError(f"no type {tag}")
    return found


# -- errors ---------------------------------------------------------------------


def is_portable(error: BaseException) -> bool:
    """Whether `error` crosses processes as itself (its message is meant for people)."""
    return isinstance(error, PORTABLE_ERRORS)


def encode_error(error: BaseException) -> dict[str, Any]:
    """A portable error's type, message and plain attributes; for any other, only that it was."""
    if not is_portable(error):
        return {"type": None}
    message = error.message if isinstance(error, UserError) else str(error)
    attrs = {}
    for name, value in vars(error).items():
        if name == "message":
            continue
        try:
            attrs[name] = encode(value)
        except CodecError:
            continue  # not plain data: the type and message still say what happened
    base = next(kind for kind in PORTABLE_ERRORS if isinstance(error, kind))
    return {"type": _tag(type(error)), "base": _tag(base), "message": message, "attrs": attrs}


def decode_error(data: Any) -> Exception | None:
    """The error `encode_error` described, or None when it was not portable.

    A type this process does not know becomes its portable base (`UserError`
    …). The instance is built without calling the class's `__init__` (whose
    arguments differ from class to class), with the sender's message as is.
    """
    if not isinstance(data, dict) or data.get("type") is None:
        return None
    cls = _portable_class(data.get("type")) or _portable_class(data.get("base"))
    if cls is None:
        return None
    message = str(data.get("message", ""))
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    attrs = data.get("attrs")
    for name, value in (attrs if isinstance(attrs, dict) else {}).items():
        try:
            setattr(error, name, decode(value))
        except (CodecError, AttributeError):
            continue
    if isinstance(error, UserError):
        error.message = message
        if not isinstance(getattr(error, "text", None), Text):
            error.text = plain(message)  # a sender without keys: its English, shown as is
    return error


def _portable_class(tag: Any) -> type[Exception] | None:
    try:
        cls = _resolve(tag)
    except CodecError:
        return None
    return cls if issubclass(cls, PORTABLE_ERRORS) else None
