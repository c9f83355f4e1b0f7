"""Track catalogue, track codec and load-result builder for the fake Lavalink server.

Everything here follows Lavalink v4's REST docs (``docs/api/rest.md``):

* a *track* is ``{encoded, info, pluginInfo, userData}`` where ``info`` has exactly
  ``identifier, isSeekable, author, length, isStream, position, title, uri,
  artworkUrl, isrc, sourceName``;
* ``GET /v4/loadtracks`` answers ``{"loadType": ..., "data": ...}`` with one of the
  five load types ``track``, ``playlist``, ``search``, ``empty``, ``error``.

``encoded`` is opaque to clients.  The fake makes it self-contained (base64 of a
magic prefix plus JSON of the track info), so - like real Lavalink - an encoded
track stays decodable after the server restarts, while random base64 is rejected.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LAVASRC_SEARCH_PREFIXES",
    "SEARCH_PREFIXES",
    "STREAM_LENGTH",
    "Catalogue",
    "TrackDecodeError",
    "decode_track",
    "encode_track",
    "exception_object",
    "seed_demo_catalogue",
]

#: Search prefixes built into Lavalink (source manager each one needs).
SEARCH_PREFIXES: dict[str, str] = {
    "ytsearch": "youtube",
    "ytmsearch": "youtube",
    "scsearch": "soundcloud",
}
#: Search prefixes added by the LavaSrc plugin.
LAVASRC_SEARCH_PREFIXES: dict[str, str] = {
    "spsearch": "spotify",
    "amsearch": "applemusic",
    "dzsearch": "deezer",
}
#: ``info.length`` of a live stream in Lavalink (``Long.MAX_VALUE``).
STREAM_LENGTH = 9_223_372_036_854_775_807

_MAGIC = b"\x01FAKE-LAVALINK\x00"
_INFO_KEYS = (
    "identifier",
    "isSeekable",
    "author",
    "length",
    "isStream",
    "position",
    "title",
    "uri",
    "artworkUrl",
    "isrc",
    "sourceName",
)


class TrackDecodeError(ValueError):
    """Raised when an ``encoded`` string was not issued by the fake."""


def exception_object(message: str | None, severity: str = "common") -> dict[str, Any]:
    """Build a Lavalink Exception object ``{message, severity, cause}``."""
    cause = f"com.sedmelluq.discord.lavaplayer.tools.FriendlyException: {message}"
    return {"message": message, "severity": severity, "cause": cause}


def encode_track(info: Mapping[str, Any], plugin_info: Mapping[str, Any] | None = None) -> str:
    """Encode a track's info into an opaque base64 string (position is not kept)."""
    blob = {k: info[k] for k in _INFO_KEYS if k != "position"}
    blob["pluginInfo"] = dict(plugin_info or {})
    raw = json.dumps(blob, separators=(",", ":"), sort_keys=True).encode()
    return base64.b64encode(_MAGIC + raw).decode("ascii")


def decode_track(encoded: str) -> dict[str, Any]:
    """Decode an ``encoded`` string back to a full track object.

    Raises :class:`TrackDecodeError` for anything the fake did not issue.
    """
    try:
        raw = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise TrackDecodeError(f"Invalid base64: {exc}") from None
    if not raw.startswith(_MAGIC):
        raise TrackDecodeError(
            "Failed to decode track due to a mismatching version or missing source manager"
        )
    try:
        blob = json.loads(raw[len(_MAGIC) :])
        info = {k: (0 if k == "position" else blob[k]) for k in _INFO_KEYS}
    except (ValueError, KeyError, TypeError) as exc:
        raise TrackDecodeError(f"Corrupt track data: {exc}") from None
    return {
        "encoded": encoded,
        "info": info,
        "pluginInfo": dict(blob.get("pluginInfo") or {}),
        "userData": {},
    }


def _is_url(identifier: str) -> bool:
    return identifier.startswith(("http://", "https://"))


@dataclass
class _LoadFailure:
    needle: str
    message: str
    severity: str


class Catalogue:
    """What the fake "finds" when asked to load or search.

    Tests fill it through :meth:`add_track`, :meth:`add_playlist` and
    :meth:`fail_load` (usually via the same-named methods on ``FakeLavalink``).
    """

    def __init__(self) -> None:
        self.tracks: list[dict[str, Any]] = []
        self.playlists: list[dict[str, Any]] = []
        self.failures: list[_LoadFailure] = []
        #: Maximum number of search results (``None``: all matches).
        self.search_limit: int | None = None

    # -- building -----------------------------------------------------------------
    def add_track(
        self,
        *,
        title: str,
        author: str = "Unknown artist",
        length: int | None = 180_000,
        identifier: str | None = None,
        uri: str | None = None,
        source: str = "youtube",
        isrc: str | None = None,
        artwork_url: str | None = None,
        is_stream: bool = False,
        is_seekable: bool | None = None,
        plugin_info: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Add a track and return its Lavalink track object (a copy)."""
        n = len(self.tracks) + 1
        identifier = identifier or f"fake{n:07d}"
        if uri is None:
            uri = (
                f"https://www.youtube.com/watch?v={identifier}"
                if source == "youtube"
                else f"https://{source}.example/{identifier}"
            )
        if length is None or is_stream:
            length = STREAM_LENGTH if is_stream else 0
        info = {
            "identifier": identifier,
            "isSeekable": (not is_stream) if is_seekable is None else is_seekable,
            "author": author,
            "length": int(length),
            "isStream": is_stream,
            "position": 0,
            "title": title,
            "uri": uri,
            "artworkUrl": artwork_url,
            "isrc": isrc,
            "sourceName": source,
        }
        track = {
            "encoded": encode_track(info, plugin_info),
            "info": info,
            "pluginInfo": dict(plugin_info or {}),
            "userData": {},
        }
        self.tracks.append(track)
        return copy.deepcopy(track)

    def add_playlist(
        self,
        name: str,
        tracks: Iterable[Mapping[str, Any]],
        *,
        url: str | None = None,
        selected: int = -1,
        plugin_info: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Add a playlist of track objects; return its ``playlist`` load-result data."""
        url = url or f"https://www.youtube.com/playlist?list=FAKEPL{len(self.playlists) + 1}"
        data = {
            "info": {"name": name, "selectedTrack": selected},
            "pluginInfo": dict(plugin_info or {}),
            "tracks": [copy.deepcopy(dict(t)) for t in tracks],
        }
        self.playlists.append({"url": url, "data": data})
        return copy.deepcopy(data)

    def fail_load(self, needle: str, message: str, severity: str = "common") -> None:
        """Make any identifier containing ``needle`` (case-insensitive) load as ``error``."""
        self.failures.append(_LoadFailure(needle.lower(), message, severity))

    # -- loading ------------------------------------------------------------------
    def load(self, identifier: str, prefixes: Mapping[str, str]) -> dict[str, Any]:
        """Resolve ``identifier`` like ``GET /v4/loadtracks`` does.

        ``prefixes`` maps each *enabled* search prefix to the source it searches.
        An unknown prefix is just part of an identifier, which matches nothing.
        """
        lowered = identifier.lower()
        for failure in self.failures:
            if failure.needle in lowered:
                return {
                    "loadType": "error",
                    "data": exception_object(failure.message, failure.severity),
                }
        prefix, sep, query = identifier.partition(":")
        if sep and not _is_url(identifier) and prefix.lower() in prefixes:
            results = self.search(query, prefixes[prefix.lower()])
            if not results:
                return {"loadType": "empty", "data": {}}
            return {"loadType": "search", "data": results}
        for playlist in self.playlists:
            if playlist["url"] == identifier:
                return {"loadType": "playlist", "data": copy.deepcopy(playlist["data"])}
        for track in self.tracks:
            if identifier in (track["info"]["uri"], track["info"]["identifier"]):
                return {"loadType": "track", "data": copy.deepcopy(track)}
        return {"loadType": "empty", "data": {}}

    def search(self, query: str, source: str) -> list[dict[str, Any]]:
        """Tracks of ``source`` whose title/author contain ``query`` (case-insensitive)."""
        needle = query.strip().lower()
        words = needle.split()
        found: list[dict[str, Any]] = []
        for track in self.tracks:
            info = track["info"]
            if info["sourceName"] != source:
                continue
            title, author = info["title"].lower(), info["author"].lower()
            hay = f"{author} - {title}"
            if (
                needle in title
                or needle in author
                or needle in hay
                or (words and all(w in f"{title} {author}" for w in words))
            ):
                found.append(copy.deepcopy(track))
        if self.search_limit is not None:
            found = found[: self.search_limit]
        return found


def seed_demo_catalogue(catalogue: Catalogue) -> None:
    """A small catalogue for the standalone server."""
    rick = catalogue.add_track(
        title="Never Gonna Give You Up",
        author="Rick Astley",
        length=213_000,
        identifier="dQw4w9WgXcQ",
        isrc="GBARL9300135",
        artwork_url="https://i.ytimg.com/vi/dQw4w9WgXcQ/maxresdefault.jpg",
    )
    queen = catalogue.add_track(
        title="Bohemian Rhapsody", author="Queen", length=354_000, identifier="fJ9rUzIMcZQ"
    )
    catalogue.add_track(title="Take On Me", author="a-ha", length=225_000, identifier="djV11Xbc914")
    catalogue.add_track(
        title="Lofi beats radio", author="Lofi Girl", identifier="jfKfPfyJRdk", is_stream=True
    )
    catalogue.add_track(
        title="Sandstorm",
        author="Darude",
        length=225_000,
        identifier="darude-sandstorm",
        uri="https://soundcloud.com/darude/sandstorm",
        source="soundcloud",
    )
    catalogue.add_playlist(
        "Demo classics",
        [rick, queen],
        url="https://www.youtube.com/playlist?list=PLFAKEDEMO",
    )
