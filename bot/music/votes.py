"""Vote-skip: who voted to skip the current track of each guild, and when the vote passes."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field

__all__ = ["Tally", "VoteBook", "votes_needed"]

# ratio * listeners is computed in floating point (0.7 * 10 == 7.000000000000001);
# a hair of tolerance keeps an exact threshold exact.
_EPSILON = 1e-9


def votes_needed(ratio: float, listeners: int) -> int:
    """Votes that skip with `listeners` humans in the channel: ceil(ratio × listeners), min. 1."""
    return max(1, math.ceil(ratio * listeners - _EPSILON))


@dataclass(frozen=True, slots=True)
class Tally:
    """The state of a vote after one more ballot."""

    votes: int
    needed: int
    repeated: bool
    """The voter had already voted for this track."""

    @property
    def passed(self) -> bool:
        """Enough of the listeners want the track skipped."""
        return self.votes >= self.needed


@dataclass
class _Ballot:
    track: object
    voters: set[int] = field(default_factory=set)


class VoteBook:
    """The open vote of each guild; a vote belongs to one track and ends with it.

    Only voters still in the channel count: a member who voted and left no
    longer pushes the track out, and the threshold follows who is listening now.
    """

    def __init__(self) -> None:
        self._ballots: dict[int, _Ballot] = {}

    def vote(
        self,
        guild_id: int,
        track: object,
        user_id: int,
        *,
        listeners: Collection[int],
        ratio: float,
    ) -> Tally:
        """Record `user_id`'s vote against `track` (compared by identity) and count."""
        ballot = self._ballots.get(guild_id)
        if ballot is None or ballot.track is not track:
            ballot = self._ballots[guild_id] = _Ballot(track)
        repeated = user_id in ballot.voters
        ballot.voters.add(user_id)
        present = set(listeners)
        tally = Tally(
            votes=len(ballot.voters & present),
            needed=votes_needed(ratio, len(present)),
            repeated=repeated,
        )
        if tally.passed:
            self.reset(guild_id)
        return tally

    def reset(self, guild_id: int) -> None:
        """Forget the guild's vote (the track changed or was skipped)."""
        self._ballots.pop(guild_id, None)
