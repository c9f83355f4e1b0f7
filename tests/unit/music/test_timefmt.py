"""Seek parsing and duration formatting."""

from __future__ import annotations

import pytest

from bot.music.timefmt import BadTime, format_duration, parse_seek, progress_bar


@pytest.mark.parametrize(
    ("text", "ms", "relative"),
    [
        ("1:23", 83_000, False),
        ("83", 83_000, False),
        ("+10", 10_000, True),
        ("-10", -10_000, True),
        ("1:02:03", 3_723_000, False),
        ("+1:00", 60_000, True),
        (" 0:05 ", 5_000, False),
    ],
)
def test_parse_seek(text: str, ms: int, relative: bool) -> None:
    """Every documented form of /seek parses."""
    target = parse_seek(text)
    assert (target.ms, target.relative) == (ms, relative)


@pytest.mark.parametrize("text", ["", "abc", "1:75", "1:2:3:4", "+", "1:60:00:00", "10m"])
def test_parse_seek_rejects(text: str) -> None:
    """Unreadable times give a friendly error."""
    with pytest.raises(BadTime, match="Try `1:23`"):
        parse_seek(text)


def test_resolve_clamps_into_track() -> None:
    """Relative seeks never go below 0 or past the end."""
    assert parse_seek("-30").resolve(10_000, 60_000) == 0
    assert parse_seek("+90").resolve(10_000, 60_000) == 59_999
    assert parse_seek("0:20").resolve(50_000, 60_000) == 20_000


def test_format_duration() -> None:
    """Minutes:seconds, hours when needed, live for streams."""
    assert format_duration(187_000) == "3:07"
    assert format_duration(3_723_000) == "1:02:03"
    assert format_duration(0) == "live"


def test_progress_bar() -> None:
    """The knob moves with the position."""
    assert progress_bar(0, 100_000, width=10).startswith("🔘")
    assert progress_bar(50_000, 100_000, width=10).startswith("▬▬▬▬▬🔘")
    assert progress_bar(50_000, 100_000).endswith("0:50 / 1:40")
