"""The quality-filter rules as data: unwanted variants, aggregator channels, official signals.

Every rule names what it catches. The defaults below are what a search on
YouTube most often returns in place of the original; admins extend them in
config (`[search] extra_blocked_terms`, `extra_blocked_channels`,
`extra_preferred_channels`). A variant rule is skipped when the query asks for
that variant ("one more time nightcore" wants the nightcore edit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_BLOCKED_CHANNELS",
    "DEFAULT_CHANNEL_TERMS",
    "DEFAULT_VARIANTS",
    "WEIGHTS",
    "RankingRules",
    "VariantRule",
]


@dataclass(frozen=True)
class VariantRule:
    """A kind of upload the user did not ask for, found by `pattern` (case-insensitive).

    `asked` says what in the query means the user wants it after all (by default
    the same pattern). `reject` drops the candidate; otherwise it only loses
    `penalty` points.
    """

    name: str
    pattern: re.Pattern[str]
    asked: re.Pattern[str]
    reject: bool = True
    penalty: float = 0.0

    @classmethod
    def of(
        cls, name: str, pattern: str, *, asked: str | None = None, penalty: float | None = None
    ) -> VariantRule:
        """Build a rule from regex text; a `penalty` makes it a soft rule."""
        compiled = re.compile(pattern, re.IGNORECASE)
        return cls(
            name=name,
            pattern=compiled,
            asked=re.compile(asked, re.IGNORECASE) if asked else compiled,
            reject=penalty is None,
            penalty=penalty or 0.0,
        )

    @classmethod
    def term(cls, term: str) -> VariantRule:
        """A rule from a plain word or phrase (matched as whole words), as config gives them."""
        words = r"\s+".join(re.escape(w) for w in term.split())
        return cls.of(term.casefold(), rf"(?<!\w){words}(?!\w)")


_BRACKETED = r"[\(\[][^\)\]]*{}[^\)\]]*[\)\]]"

DEFAULT_VARIANTS: tuple[VariantRule, ...] = (
    VariantRule.of("nightcore", r"\bnightcore\b"),
    VariantRule.of("8d", r"\b8\s?d\b(?!\w)"),
    VariantRule.of("sped up", r"\b(?:sped|speed)\s*up\b"),
    VariantRule.of("slowed", r"\bslowed\b"),
    VariantRule.of("reverb", r"\breverb\b"),
    VariantRule.of("bass boosted", r"\bbass\s*boost(?:ed)?\b"),
    VariantRule.of("karaoke", r"\bkaraoke\b", asked=r"\b(?:karaoke|backing track|sing ?along)\b"),
    # "Cover Me" or "Undercover" are titles; a cover is marked as one.
    VariantRule.of(
        "cover",
        _BRACKETED.format(r"\bcover\b")
        + r"|\bcover(?:ed)?\s+by\b"
        + r"|\b(?:acoustic|piano|guitar|metal|rock|punk|jazz|violin|cello|ukulele|orchestral"
        + r"|female|male|cappella)\s+cover\b"
        + r"|[\|\-–]\s*cover\s*$",
        asked=r"\bcover\b",
    ),
    VariantRule.of("instrumental", r"\binstrumental\b"),
    VariantRule.of(
        "hour loop",
        _BRACKETED.format(r"\b(?:\d+|one|ten)\s*(?:hours?|hrs?)\b")
        + r"|\b(?:\d+|one|ten)\s*(?:hours?|hrs?)\s+(?:loop|version|long|of)\b",
        asked=r"\b(?:hours?|hrs?|loop)\b",
    ),
    # Lyric videos are often fine, so they only lose points ("Official Lyric Video" is exempt).
    VariantRule.of(
        "lyrics video",
        r"(?<!official )\blyrics?\b(?! by)",
        asked=r"\blyrics?\b",
        penalty=2.0,
    ),
)

#: Words in a channel's name that mark a re-upload or lyrics aggregator.
DEFAULT_CHANNEL_TERMS: tuple[VariantRule, ...] = (
    VariantRule.of("nightcore", r"\bnightcore"),
    VariantRule.of("8d", r"\b8\s?d\b(?!\w)"),
    VariantRule.of("sped up", r"\b(?:sped|speed)\s*up\b"),
    VariantRule.of("slowed", r"\bslowed\b"),
    VariantRule.of("bass boosted", r"\bbass\s*boost"),
    VariantRule.of("lyrics channel", r"\blyrics?\b"),
    VariantRule.of("reupload channel", r"\bre-?uploads?\b"),
)

#: Channels known to re-upload other artists' tracks, often above the original in search.
DEFAULT_BLOCKED_CHANNELS: tuple[str, ...] = (
    "7clouds",
    "Taj Tracks",
    "Dan Music",
    "SyrebralVibes",
    "Vibe Music",
    "Unique Vibes",
    "CakeRaps",
    "NightcoreReality",
    "Nightblue Music",
)

#: Points for each sign of an official upload, and for matching the query's words.
WEIGHTS: dict[str, float] = {
    "preferred channel": 6.0,
    "artist channel": 3.0,
    "topic channel": 3.0,
    "vevo channel": 3.0,
    "official title": 2.0,
    "isrc": 2.0,
    "relevance": 4.0,  # times the share of the query's words found in title and channel
}

OFFICIAL_TITLE = re.compile(
    r"\bofficial\s+(?:hd\s+|4k\s+)?(?:music\s+)?(?:audio|video|visuali[sz]er|lyric\s+video)\b",
    re.IGNORECASE,
)
TOPIC_SUFFIX = re.compile(r"\s+-\s+topic$", re.IGNORECASE)
VEVO = re.compile(r"vevo$", re.IGNORECASE)


def _casefolded(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.strip().casefold() for n in names if n.strip())


@dataclass(frozen=True)
class RankingRules:
    """Everything `rank_candidates` judges by."""

    variants: tuple[VariantRule, ...] = DEFAULT_VARIANTS
    channel_terms: tuple[VariantRule, ...] = DEFAULT_CHANNEL_TERMS
    blocked_channels: frozenset[str] = field(
        default_factory=lambda: _casefolded(DEFAULT_BLOCKED_CHANNELS)
    )
    preferred_channels: frozenset[str] = frozenset()

    def extended(
        self,
        *,
        blocked_terms: Iterable[str] = (),
        blocked_channels: Iterable[str] = (),
        preferred_channels: Iterable[str] = (),
    ) -> RankingRules:
        """These rules plus an admin's additions from config."""
        extra = tuple(VariantRule.term(t) for t in blocked_terms if t.strip())
        return RankingRules(
            variants=self.variants + extra,
            channel_terms=self.channel_terms,
            blocked_channels=self.blocked_channels | _casefolded(blocked_channels),
            preferred_channels=self.preferred_channels | _casefolded(preferred_channels),
        )
