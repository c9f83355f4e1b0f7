"""Lyrics from LavaLyrics' Lyrics object, and their pages."""

from __future__ import annotations

from bot.music.lyrics import Lyrics, paginate


def test_timed_lines_win_over_text() -> None:
    """`lines` (timed) are used when present; blank runs collapse, ends are trimmed."""
    lyrics = Lyrics.from_lavalyrics(
        {
            "sourceName": "spotify",
            "provider": "MusixMatch",
            "text": "ignored",
            "lines": [
                {"timestamp": 0, "duration": None, "line": ""},
                {"timestamp": 1, "duration": None, "line": "One "},
                {"timestamp": 2, "duration": None, "line": ""},
                {"timestamp": 3, "duration": None, "line": ""},
                {"timestamp": 4, "duration": None, "line": "Two"},
                {"timestamp": 5, "duration": None, "line": ""},
            ],
            "plugin": {},
        }
    )
    assert lyrics == Lyrics("spotify", "MusixMatch", ("One", "", "Two"))


def test_plain_text_when_there_are_no_lines() -> None:
    """`text` with `lines: []` is split into lines."""
    lyrics = Lyrics.from_lavalyrics({"sourceName": "genius", "text": "A\nB", "lines": []})
    assert lyrics.lines == ("A", "B") and lyrics.provider == ""


def test_pages_respect_the_limits_and_keep_every_line() -> None:
    """No page is longer than allowed; together the pages hold every non-blank line."""
    lines = tuple(f"line {i:03}" for i in range(100))
    pages = paginate(lines, max_chars=200, max_lines=12)
    assert all(len(p) <= 200 and p.count("\n") < 12 for p in pages)
    assert [line for p in pages for line in p.splitlines()] == list(lines)


def test_pages_break_at_verses() -> None:
    """A blank line late in a page ends the page; no page starts blank."""
    verse = ("a", "b", "c", "d")
    pages = paginate((*verse, "", *verse, "", *verse), max_chars=1000, max_lines=6)
    assert pages == ["a\nb\nc\nd", "a\nb\nc\nd", "a\nb\nc\nd"]


def test_one_huge_line_is_cut() -> None:
    """A single line longer than a page still fits in one."""
    assert paginate(("x" * 5000,), max_chars=100) == ["x" * 100]
