"""What the user typed: a link to load directly, or text to search for.

Only http and https links to public hosts are loaded as links. Lavalink's
`local` and `http` sources would otherwise read files on the Lavalink machine
(`file://`, `local:`) or fetch addresses inside its network (localhost, a
Docker service name, 10.0.0.0/8 ...) on a user's behalf.

Names that resolve to a private address (DNS rebinding) are not caught here:
the bot may not resolve names the way Lavalink does. Turn off Lavalink's
`http` source, or route it through a proxy, if that matters to you.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from bot.errors import UserError

__all__ = ["MAX_QUERY_LENGTH", "ParsedQuery", "UnsafeLink", "normalise_search", "parse_query"]

MAX_QUERY_LENGTH = 500
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):(//)?", re.IGNORECASE)
# Identifiers Lavalink sources take without `//`; refused even though they are not URLs.
_BARE_SCHEMES = {"file", "local", "jar"}
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".localdomain")
_NUMERIC_HOST = re.compile(r"^(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}$")
_SPACES = re.compile(r"\s+")


class UnsafeLink(UserError):
    """A link the bot will not hand to Lavalink."""


@dataclass(frozen=True)
class ParsedQuery:
    """A checked query: `url` for a link, else `text` to search for."""

    text: str
    url: str | None = None

    @property
    def is_url(self) -> bool:
        """Whether this is a link, loaded without a search prefix."""
        return self.url is not None


def parse_query(query: str) -> ParsedQuery:
    """Check the user's query; raises UserError when it is empty, too long or an unsafe link."""
    query = query.strip()
    if not query:
        raise UserError("search.empty_query")
    if len(query) > MAX_QUERY_LENGTH:
        raise UserError("search.query_too_long", limit=MAX_QUERY_LENGTH)
    match = _SCHEME.match(query)
    if match is None:
        return ParsedQuery(query)
    scheme = match.group(1).lower()
    if scheme in ("http", "https"):
        return ParsedQuery(query, url=_public_url(query))
    if match.group(2) or scheme in _BARE_SCHEMES:
        raise UnsafeLink("search.link_scheme")
    return ParsedQuery(query)  # "Re: Zero", "Artist: Song" ... are search text


def _public_url(query: str) -> str:
    if "\\" in query:
        # Parsers disagree on `\\` (browsers and many HTTP clients read it as `/`), so the
        # host Lavalink would contact may not be the one checked here.
        raise UnsafeLink("search.link_invalid")
    try:
        parts = urlsplit(query)
        # Fold as IDNA does, so fullwidth or other look-alike digits can't hide an address.
        host = unicodedata.normalize("NFKC", parts.hostname or "").rstrip(".").lower()
        _ = parts.port  # raises ValueError for a bad port
    except ValueError:
        raise UnsafeLink("search.link_invalid") from None
    if not host:
        raise UnsafeLink("search.link_no_host")
    if _is_private_host(host):
        raise UnsafeLink("search.link_private")
    # mafic recognises links by a lower-case `http(s)://`; keep the rest as typed.
    return urlunsplit(parts._replace(scheme=parts.scheme.lower()))


def _is_private_host(host: str) -> bool:
    if host == "localhost" or host.endswith(_PRIVATE_SUFFIXES):
        return True
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if _NUMERIC_HOST.match(host):
            # 2130706433, 0x7f.1, 127.1: forms resolvers accept for 127.0.0.1.
            try:
                address = ipaddress.IPv4Address(socket.inet_aton(host))
            except OSError:
                return True
    if address is None:
        return "." not in host  # a single label: a Docker service or LAN machine name
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global


def normalise_search(text: str) -> str:
    """The cache key form of search text: case-folded, whitespace collapsed."""
    return _SPACES.sub(" ", text.strip()).casefold()
