"""The Redis bus codec: every message and answer round-trips; errors keep what users read."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import types
import typing
from datetime import UTC, datetime
from typing import Any

import pytest

from bot import audio_commands, bus_codec, events, messages
from bot.bus import BusTimeout, NoHandler
from bot.bus_codec import CodecError
from bot.db.errors import DatabaseUnavailableError
from bot.errors import NotInVoice, RateLimited, UserError
from bot.music.queue import BadPosition, QueueFull
from bot.music.timefmt import BadTime
from bot.playback.loader import NothingFound

MODULES = (audio_commands, events, messages)


def message_classes() -> list[type]:
    """Every dataclass defined in the modules whose objects cross the bus."""
    return [
        cls
        for module in MODULES
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__
    ]


def sample(hint: Any, depth: int = 0) -> Any:
    """A non-default value of type `hint`, nested dataclasses filled in too."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return sample(next(a for a in args if a is not type(None)), depth)
    if origin is typing.Literal:
        return args[-1]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return (sample(args[0], depth), sample(args[0], depth))
        return tuple(sample(a, depth) for a in args)
    if origin in (list, set, frozenset):
        return origin([sample(args[0], depth)])
    if origin is dict:
        return {sample(args[0], depth): sample(args[1], depth)}
    if hint is bool:
        return True
    if hint is int:
        return 81384788765712384 + depth
    if hint is float:
        return 0.75
    if hint is str or hint is typing.Any:  # Any: a `Text` parameter, plain data
        return f"text «{depth}»"
    if hint is datetime:
        return datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return list(hint)[-1]
    if dataclasses.is_dataclass(hint):
        return build(hint, depth + 1)
    raise AssertionError(f"no sample for {hint!r}: teach tests/redis/test_codec.py about it")


def build(cls: Any, depth: int = 0) -> Any:
    """An instance of `cls` with every init field set to a sample value."""
    hints = typing.get_type_hints(cls)
    values = {f.name: sample(hints[f.name], depth) for f in dataclasses.fields(cls) if f.init}
    return cls(**values)


@pytest.mark.parametrize("cls", message_classes(), ids=lambda cls: cls.__name__)
def test_every_message_class_round_trips(cls: type) -> None:
    """Commands, answers and events come back equal, through JSON text."""
    original = build(cls)
    text = bus_codec.dumps(original)
    json.loads(text)  # plain JSON, nothing Python-specific
    assert bus_codec.loads(text) == original


def test_the_modules_have_messages() -> None:
    """The parametrisation found the commands, the answers and the events."""
    names = {cls.__name__ for cls in message_classes()}
    assert {"Play", "Seek", "SetLoop", "PlayResult", "QueuePage", "QueueEnded"} <= names


def test_values_keep_their_types() -> None:
    """Tuples stay tuples, enums stay enums, datetimes keep their zone, big ids stay exact."""
    value = {
        "t": (1, (2, "x")),
        "s": frozenset({3}),
        "when": datetime(2024, 1, 2, tzinfo=UTC),
        "id": 2**63 - 1,
        "none": None,
    }
    assert bus_codec.loads(bus_codec.dumps(value)) == value


@pytest.mark.parametrize(
    "data",
    [
        {"$dc": "os:system", "f": {}},
        {"$dc": "bot.audio_commands:NoSuchThing", "f": {}},
        {"$dc": "bot.settings:Settings", "f": {}},
        {"$dc": "bot.audio_commands:Play", "f": {"nope": 1}},
        {"$enum": "bot.music.queue:LoopMode", "v": "sideways"},
        {"$what": 1},
        {"a": 1, "b": 2, "c": 3},
    ],
    ids=["foreign-module", "unknown-class", "not-a-dataclass", "bad-field", "bad-enum",
         "unknown-tag", "plain-dict"],
)  # fmt: skip
def test_foreign_or_broken_data_is_refused(data: Any) -> None:
    """Only the bot's own dataclasses and enums are built from what Redis carries."""
    with pytest.raises(CodecError):
        bus_codec.decode(data)


def test_values_of_other_types_are_refused() -> None:
    """An object the codec does not know is an error, not a silent loss."""
    with pytest.raises(CodecError):
        bus_codec.encode(object())


@pytest.mark.parametrize(
    "error",
    [
        NotInVoice(),
        RateLimited(2.5),
        QueueFull(10),
        BadPosition(4, 2),
        BadTime("soon"),
        NothingFound("query"),
        UserError("You need to be in my voice channel, <#1>."),
        BusTimeout("no answer"),
        NoHandler("nobody serves"),
        DatabaseUnavailableError("your settings"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_meant_for_people_keep_type_and_message(error: Exception) -> None:
    """The caller's error handler sees the owner's error as if it were raised locally."""
    copy = bus_codec.decode_error(json.loads(json.dumps(bus_codec.encode_error(error))))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    if isinstance(error, UserError):
        assert isinstance(copy, UserError)
        assert copy.message == error.message
    if isinstance(error, RateLimited):
        assert isinstance(copy, RateLimited)
        assert copy.retry_after == 2.5


def test_unknown_user_error_types_become_user_errors() -> None:
    """A refusal type this process lacks (a newer owner) still shows its message."""
    data = bus_codec.encode_error(UserError("Vote recorded."))
    data["type"] = "bot.errors:NoSuchError"
    copy = bus_codec.decode_error(data)
    assert type(copy) is UserError
    assert copy.message == "Vote recorded."


def test_other_errors_cross_without_details() -> None:
    """A crash is only reported as such: its text may hold internals."""
    data = bus_codec.encode_error(RuntimeError("password=hunter2"))
    assert "hunter2" not in json.dumps(data)
    assert bus_codec.decode_error(data) is None
