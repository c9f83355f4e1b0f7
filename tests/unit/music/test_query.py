"""Queries: links only to public http(s) hosts, everything else is search text."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.music.query import UnsafeLink, normalise_search, parse_query


@pytest.mark.parametrize(
    "link",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://open.spotify.com/track/4cOdK2wGLETKBW3PvgPWqT",
        "https://soundcloud.com/darude/sandstorm",
        "http://93.184.216.34/stream.mp3",
        "https://[2606:4700:4700::1111]/a.mp3",
    ],
)
def test_public_links_load_directly(link: str) -> None:
    """http and https links to public hosts are links."""
    assert parse_query(link).url == link


def test_scheme_is_lowercased_for_mafic() -> None:
    """mafic only treats lower-case `https://` as a link."""
    assert parse_query("HTTPS://Example.com/A").url == "https://Example.com/A"


@pytest.mark.parametrize(
    "link",
    [
        "file:///etc/passwd",
        "local:/home/lavalink/secret.mp3",
        "ftp://example.com/a.mp3",
        "jar:file:/x.jar!/a",
        "smb://nas/music",
    ],
)
def test_other_schemes_are_refused(link: str) -> None:
    """Only http and https are loaded; `file://` and `local:` would read Lavalink's disk."""
    with pytest.raises(UnsafeLink, match="only play http or https"):
        parse_query(link)


@pytest.mark.parametrize(
    "link",
    [
        "http://localhost:2333/v4/info",
        "http://127.0.0.1/admin",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://10.0.0.5/song.mp3",
        "http://192.168.1.20:8080/x",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://lavalink:2333/version",
        "http://nas.local/music.mp3",
        "http://router.lan/",
        "http://LOCALHOST./",
        "http://0.0.0.0/",
    ],
)
def test_private_and_local_hosts_are_refused(link: str) -> None:
    """Loopback, private ranges, link-local, bare names and .local are refused."""
    with pytest.raises(UnsafeLink, match="private or local"):
        parse_query(link)


@pytest.mark.parametrize("text", ["Re: Zero opening", "daft punk: one more time", "ac/dc tnt"])
def test_text_with_a_colon_is_search_text(text: str) -> None:
    """A colon alone does not make a link."""
    parsed = parse_query(text)
    assert not parsed.is_url and parsed.text == text


def test_empty_and_too_long_are_refused() -> None:
    """Nothing to search for, or a query longer than 500 characters, is refused."""
    with pytest.raises(UserError, match="Tell me what to play"):
        parse_query("   ")
    with pytest.raises(UserError, match="too long"):
        parse_query("a" * 501)


def test_search_text_normalised_for_the_cache() -> None:
    """Case and runs of whitespace do not make a different cache key."""
    assert normalise_search("  Daft   PUNK\tOne More  Time ") == "daft punk one more time"
    assert normalise_search("STRASSE") == normalise_search("straße")
