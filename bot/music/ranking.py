"""Quality ranking of search results: the original upload first, re-uploads and variants out.

Each candidate gets points for signs of an official upload (the artist's own
channel, a YouTube "- Topic" channel, VEVO, "(Official Audio)" and the like in
the title, an ISRC) and for how many of the query's words it contains. Variants
the query did not ask for (nightcore, sped up, covers ...) and known
aggregator channels are dropped; soft rules only cost points. Ties keep
Lavalink's order, which is the source's own relevance. If every candidate
would be dropped, they are all kept, ranked, so a search still finds something.

The rules themselves are data, in `bot.music.ranking_rules`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.music.ranking_rules import (
    OFFICIAL_TITLE,
    TOPIC_SUFFIX,
    VEVO,
    WEIGHTS,
    RankingRules,
    VariantRule,
)

__all__ = ["Assessment", "Rankable", "assess", "rank_candidates"]

_WORD = re.compile(r"\w+")


class Rankable(Protocol):
    """What ranking reads of a track (mafic.Track has these)."""

    @property
    def title(self) -> str: ...

    @property
    def author(self) -> str: ...

    @property
    def isrc(self) -> str | None: ...


T = TypeVar("T", bound=Rankable)


@dataclass(frozen=True)
class Assessment:
    """How one candidate scored, and why; `rejected_by` names the rule that dropped it."""

    score: float
    reasons: tuple[str, ...]
    rejected_by: str | None = None


@dataclass(frozen=True)
class _Query:
    text: str
    words: tuple[str, ...]
    runs: frozenset[str]
    """Every run of consecutive words, joined without spaces: "daftpunk", "punkone" ..."""

    @classmethod
    def of(cls, text: str) -> _Query:
        words = tuple(_WORD.findall(text.casefold()))
        runs = {
            "".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)
        }
        return cls(text, words, frozenset(runs))

    def asks_for(self, rule: VariantRule) -> bool:
        return bool(rule.asked.search(self.text))


def _channel_core(author: str) -> str:
    """The artist name inside a channel name: "Daft Punk - Topic", "DaftPunkVEVO" → daftpunk."""
    core = VEVO.sub("", TOPIC_SUFFIX.sub("", author.strip()))
    core = re.sub(r"\bofficial\b", "", core, flags=re.IGNORECASE)
    return "".join(_WORD.findall(core.casefold()))


def assess(query: str, track: Rankable, rules: RankingRules) -> Assessment:
    """Score one candidate for `query` under `rules`."""
    return _assess(_Query.of(query), track, rules)


def _assess(query: _Query, track: Rankable, rules: RankingRules) -> Assessment:
    title, author = track.title or "", (track.author or "").strip()
    folded_author = author.casefold()
    if folded_author in rules.blocked_channels:
        return Assessment(-100.0, (), rejected_by="blocked channel")
    for rule in rules.channel_terms:
        if rule.pattern.search(author) and not query.asks_for(rule):
            return Assessment(-100.0, (), rejected_by=rule.name)
    score, reasons = 0.0, []
    for rule in rules.variants:
        if rule.pattern.search(title) and not query.asks_for(rule):
            if rule.reject:
                return Assessment(-100.0, (), rejected_by=rule.name)
            score -= rule.penalty
            reasons.append(f"-{rule.name}")

    def gain(reason: str) -> None:
        nonlocal score
        score += WEIGHTS[reason]
        reasons.append(reason)

    if folded_author in rules.preferred_channels:
        gain("preferred channel")
    core = _channel_core(author)
    if len(core) >= 2 and core in query.runs:
        gain("artist channel")
    if TOPIC_SUFFIX.search(author):
        gain("topic channel")
    if VEVO.search(author.replace(" ", "")):
        gain("vevo channel")
    if OFFICIAL_TITLE.search(title):
        gain("official title")
    if track.isrc:
        gain("isrc")
    if query.words:
        found = set(_WORD.findall(f"{title} {author}".casefold()))
        share = sum(w in found for w in query.words) / len(query.words)
        score += WEIGHTS["relevance"] * share
    return Assessment(score, tuple(reasons))


def rank_candidates(query: str, tracks: Sequence[T], rules: RankingRules) -> list[T]:
    """`tracks` best first for `query`, without the rejected ones (unless all are)."""
    parsed = _Query.of(query)
    judged = [(_assess(parsed, t, rules), i, t) for i, t in enumerate(tracks)]
    kept = [j for j in judged if j[0].rejected_by is None] or judged
    kept.sort(key=lambda j: (-j[0].score, j[1]))
    return [t for _, _, t in kept]
