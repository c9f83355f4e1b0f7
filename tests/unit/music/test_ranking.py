"""Quality ranking: every rule, with titles and channels as YouTube search returns them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.music.ranking import assess, rank_candidates
from bot.music.ranking_rules import RankingRules

RULES = RankingRules()


@dataclass(frozen=True)
class Candidate:
    title: str
    author: str
    isrc: str | None = None


def best(query: str, *candidates: Candidate, rules: RankingRules = RULES) -> Candidate:
    return rank_candidates(query, list(candidates), rules)[0]


def kept(query: str, *candidates: Candidate, rules: RankingRules = RULES) -> list[str]:
    return [c.title for c in rank_candidates(query, list(candidates), rules)]


ORIGINAL = Candidate("Daft Punk - One More Time (Official Audio)", "Daft Punk")


def test_official_upload_beats_reupload_and_nightcore() -> None:
    """The artist's own upload wins over a re-upload listed first and a nightcore edit."""
    reupload = Candidate("Daft Punk - One More Time", "Music Uploads 24/7")
    nightcore = Candidate("Nightcore - One More Time", "Nightcore Tunes")
    ranked = rank_candidates("daft punk one more time", [nightcore, reupload, ORIGINAL], RULES)
    assert ranked == [ORIGINAL, reupload]


# -- unwanted variants: dropped unless the query asks for them --------------------

VARIANTS = [
    ("nightcore", "blinding lights", "Nightcore - Blinding Lights (Lyrics)", "NightcoreHub Music"),
    ("8d", "bad guy billie eilish", "Billie Eilish - bad guy (8D AUDIO)", "8D Music World"),
    ("sped up", "flowers miley cyrus", "Miley Cyrus - Flowers (sped up)", "speedy songs"),
    ("sped up", "flowers miley cyrus", "Flowers - Miley Cyrus [Speed Up Version]", "tiktok hits"),
    ("slowed", "summertime sadness", "Lana Del Rey - Summertime Sadness (slowed)", "moody edits"),
    ("reverb", "505 arctic monkeys", "Arctic Monkeys - 505 (Reverb Version)", "late night audio"),
    ("bass boosted", "faded alan walker", "Alan Walker - Faded [Bass Boosted]", "Car Music Mix"),
    ("karaoke", "someone like you", "Adele - Someone Like You (Karaoke Version)", "Sing King"),
    ("cover", "hallelujah", "Hallelujah (Acoustic Cover)", "Anna Sings"),
    ("cover", "someone like you adele", "Someone Like You - Adele (Cover by Jane Doe)", "Jane Doe"),
    ("cover", "creep radiohead", "Creep - Radiohead | Piano Cover", "Pianella Piano"),
    ("instrumental", "lose yourself eminem", "Eminem - Lose Yourself (Instrumental)", "Beats"),
    ("hour loop", "africa toto", "Toto - Africa (1 Hour Loop)", "Loop Station"),
    ("hour loop", "sandstorm darude", "Darude - Sandstorm 10 hours version", "Long Songs"),
]


@pytest.mark.parametrize(("rule", "query", "title", "channel"), VARIANTS)
def test_variant_is_dropped(rule: str, query: str, title: str, channel: str) -> None:
    """A variant the query did not ask for is dropped, naming the rule that dropped it."""
    variant = Candidate(title, channel)
    assert assess(query, variant, RULES).rejected_by == rule
    original = Candidate(f"{query.title()} (Official Audio)", "The Artist - Topic")
    assert rank_candidates(query, [variant, original], RULES) == [original]


@pytest.mark.parametrize(("rule", "query", "title", "channel"), VARIANTS)
def test_variant_the_query_asks_for_is_kept(
    rule: str, query: str, title: str, channel: str
) -> None:
    """Asking for the variant ("... nightcore", "... cover") keeps it."""
    asked = {"hour loop": "1 hour", "bass boosted": "bass boosted", "sped up": "sped up"}
    variant = Candidate(title, channel)
    assessment = assess(f"{query} {asked.get(rule, rule)}", variant, RULES)
    assert assessment.rejected_by is None


@pytest.mark.parametrize(
    "title",
    [
        "Bruce Springsteen - Cover Me (Official Audio)",
        "Undercover Martyn - Two Door Cinema Club",
        "Georgia - 24 Hours",
        "Sleep Token - The Summoning (Official Video)",
    ],
)
def test_titles_that_only_look_like_variants_are_kept(title: str) -> None:
    """A song called "Cover Me" is not a cover, "24 Hours" is not a loop."""
    assert assess("song", Candidate(title, "Some Artist"), RULES).rejected_by is None


def test_lyrics_video_only_loses_points() -> None:
    """A lyrics upload ranks below the official one but stays in the list."""
    lyrics = Candidate("Imagine Dragons - Believer (Lyrics)", "Pop Hits Daily")
    official = Candidate("Imagine Dragons - Believer (Official Music Video)", "ImagineDragonsVEVO")
    assert kept("believer", lyrics, official) == [official.title, lyrics.title]
    assert "-lyrics video" in assess("believer", lyrics, RULES).reasons


def test_official_lyric_video_is_not_penalised() -> None:
    """A title with "Official Lyric Video" is an official upload."""
    lyric = Candidate("Imagine Dragons - Believer (Official Lyric Video)", "Imagine Dragons")
    reasons = assess("believer imagine dragons", lyric, RULES).reasons
    assert "-lyrics video" not in reasons and "official title" in reasons


def test_lyrics_asked_for_is_not_penalised() -> None:
    """A query like "believer lyrics" wants the lyrics video."""
    lyrics = Candidate("Imagine Dragons - Believer (Lyrics)", "Pop Hits Daily")
    assert "-lyrics video" not in assess("believer lyrics", lyrics, RULES).reasons


# -- channels -----------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["7clouds", "Taj Tracks", "SyrebralVibes", "NIGHTCOREREALITY"])
def test_known_aggregator_channel_is_dropped(channel: str) -> None:
    """Known re-upload channels are dropped (names compared case-insensitively)."""
    upload = Candidate("Tones and I - Dance Monkey (Lyrics)", channel)
    assert assess("dance monkey", upload, RULES).rejected_by == "blocked channel"


@pytest.mark.parametrize(
    ("channel", "rule"),
    [
        ("Lyrics Planet", "lyrics channel"),
        ("Nightcore Zone", "nightcore"),
        ("8D Tunes", "8d"),
        ("Sped Up Songs", "sped up"),
        ("Slowed Society", "slowed"),
        ("Bass Boosted Music", "bass boosted"),
        ("Music Reuploads", "reupload channel"),
    ],
)
def test_channel_named_for_a_variant_is_dropped(channel: str, rule: str) -> None:
    """A channel whose name says it posts variants or lyrics re-uploads is dropped."""
    upload = Candidate("Tones and I - Dance Monkey", channel)
    assert assess("dance monkey", upload, RULES).rejected_by == rule


def test_configured_blocked_channel_is_dropped() -> None:
    """`extra_blocked_channels` drops that channel."""
    rules = RULES.extended(blocked_channels=["Best Songs Forever"])
    upload = Candidate("Queen - Bohemian Rhapsody", "best songs forever")
    assert assess("bohemian rhapsody", upload, rules).rejected_by == "blocked channel"


def test_configured_blocked_term_is_dropped_unless_asked() -> None:
    """`extra_blocked_terms` words drop a title, but not when the query has them."""
    rules = RULES.extended(blocked_terms=["live at"])
    live = Candidate("Coldplay - Yellow (Live at Glastonbury 2016)", "Coldplay")
    studio = Candidate("Coldplay - Yellow (Official Video)", "Coldplay")
    assert kept("coldplay yellow", live, studio, rules=rules) == [studio.title]
    assert assess("coldplay yellow live at glastonbury", live, rules).rejected_by is None
    assert assess("coldplay yellow", Candidate("Yellow Delivery", "x"), rules).rejected_by is None


def test_configured_preferred_channel_comes_first() -> None:
    """`extra_preferred_channels` ranks that channel first."""
    rules = RULES.extended(preferred_channels=["Monstercat Uncaged"])
    label = Candidate("Rogue - Dreams", "Monstercat Uncaged")
    other = Candidate("Rogue - Dreams (Official Audio)", "Rogue Music")
    assert best("rogue dreams", other, label, rules=rules) == label
    assert best("rogue dreams", other, label) == other


# -- signs of an official upload ------------------------------------------------------


def test_topic_channel_beats_a_plain_upload() -> None:
    """YouTube's auto-generated "- Topic" channel is the label's audio."""
    plain = Candidate("One More Time", "Random Music Fan")
    topic = Candidate("One More Time", "Daft Punk - Topic")
    assert best("one more time", plain, topic) == topic


def test_vevo_channel_beats_a_plain_upload() -> None:
    """VEVO channels carry the label's videos."""
    plain = Candidate("Never Gonna Give You Up", "80s Forever")
    vevo = Candidate("Never Gonna Give You Up", "RickAstleyVEVO")
    assert best("never gonna give you up", plain, vevo) == vevo


def test_official_title_beats_a_plain_title() -> None:
    """A title with "(Official Music Video)" counts as official."""
    plain = Candidate("Dua Lipa - Levitating", "Hits Channel")
    official = Candidate("Dua Lipa - Levitating (Official Music Video)", "Hits Channel")
    assert best("levitating", plain, official) == official


def test_isrc_beats_no_isrc() -> None:
    """A track with an ISRC is a registered recording."""
    plain = Candidate("Blinding Lights", "The Weeknd")
    registered = Candidate("Blinding Lights", "The Weeknd", isrc="USUG11904206")
    assert best("blinding lights", plain, registered) == registered


@pytest.mark.parametrize("channel", ["Daft Punk", "DaftPunkVEVO", "Daft Punk - Topic"])
def test_artist_channel_matches_the_artist_in_the_query(channel: str) -> None:
    """The channel named like the artist in the query is the artist's own."""
    reasons = assess("daft punk one more time", Candidate("One More Time", channel), RULES).reasons
    assert "artist channel" in reasons


def test_artist_bonus_needs_the_artist_in_the_query() -> None:
    """Without the artist in the query, no channel gets the artist bonus."""
    assert "artist channel" not in assess("one more time", ORIGINAL, RULES).reasons


def test_relevance_keeps_the_right_song_above_an_official_wrong_one() -> None:
    """A plain upload of the song beats an official upload of another song."""
    right = Candidate("Daft Punk - One More Time", "Random Uploader")
    wrong = Candidate("Harder, Better, Faster, Stronger", "Daft Punk - Topic")
    assert best("one more time", wrong, right) == right


# -- order ----------------------------------------------------------------------------


def test_ties_keep_lavalink_order() -> None:
    """Equal candidates stay in the order the source returned them."""
    first, second = Candidate("Song A", "Chan A"), Candidate("Song A", "Chan B")
    assert rank_candidates("song a", [first, second], RULES) == [first, second]


def test_everything_rejected_keeps_everything() -> None:
    """When every candidate would be dropped, all are kept so the search finds something."""
    a = Candidate("Nightcore - Song", "Nightcore Land")
    b = Candidate("Song (sped up)", "7clouds")
    assert rank_candidates("song", [a, b], RULES) == [a, b]


def test_empty_list_ranks_to_empty() -> None:
    """No candidates, no ranking."""
    assert rank_candidates("anything", [], RULES) == []
