"""Vote-skip tallies: ceil(ratio × listeners), distinct present voters, one vote per track."""

from __future__ import annotations

import pytest

from bot.music.votes import VoteBook, votes_needed

GUILD = 10


@pytest.mark.parametrize(
    ("ratio", "listeners", "needed"),
    [(0.5, 3, 2), (0.5, 4, 2), (0.5, 1, 1), (0.7, 10, 7), (1.0, 3, 3), (0.0, 5, 1), (0.5, 0, 1)],
)
def test_votes_needed(ratio: float, listeners: int, needed: int) -> None:
    """The threshold rounds up, is exact for exact products and never drops below one."""
    assert votes_needed(ratio, listeners) == needed


def test_passes_at_the_threshold_not_below() -> None:
    """Three listeners at 0.5: one vote is not enough, the second passes."""
    book, track = VoteBook(), object()
    first = book.vote(GUILD, track, 1, listeners={1, 2, 3}, ratio=0.5)
    assert (first.votes, first.needed, first.passed) == (1, 2, False)
    second = book.vote(GUILD, track, 2, listeners={1, 2, 3}, ratio=0.5)
    assert second.passed


def test_a_repeated_vote_counts_once() -> None:
    """Voting twice is one vote, and says so."""
    book, track = VoteBook(), object()
    book.vote(GUILD, track, 1, listeners={1, 2, 3}, ratio=0.5)
    again = book.vote(GUILD, track, 1, listeners={1, 2, 3}, ratio=0.5)
    assert (again.votes, again.repeated, again.passed) == (1, True, False)


def test_voters_who_left_do_not_count() -> None:
    """Only voters still in the channel count."""
    book, track = VoteBook(), object()
    book.vote(GUILD, track, 1, listeners={1, 2, 3, 4}, ratio=0.5)
    tally = book.vote(GUILD, track, 2, listeners={2, 3, 4}, ratio=0.75)
    assert (tally.votes, tally.needed) == (1, 3)


def test_a_new_track_starts_a_new_vote() -> None:
    """Votes belong to their track; reset forgets them too."""
    book, first, second = VoteBook(), object(), object()
    book.vote(GUILD, first, 1, listeners={1, 2, 3}, ratio=0.5)
    assert book.vote(GUILD, second, 2, listeners={1, 2, 3}, ratio=0.5).votes == 1
    book.reset(GUILD)
    assert book.vote(GUILD, second, 2, listeners={1, 2, 3}, ratio=0.5).votes == 1


def test_a_passed_vote_is_closed() -> None:
    """After passing, the next vote starts from zero even for the same track."""
    book, track = VoteBook(), object()
    book.vote(GUILD, track, 1, listeners={1}, ratio=0.5)
    assert book.vote(GUILD, track, 1, listeners={1, 2, 3}, ratio=0.5).votes == 1
