"""Random and hostile option values at the music commands, through the real bot and fake Discord.

For every value Discord would deliver (strings of 1 to 6000 characters,
integers within each option's min/max, which Discord itself enforces):

* the interaction is answered (a callback or a follow-up the fake accepted);
* the user never sees a traceback, an exception's name, or the apology meant
  for unexpected errors, and the bot logs no error;
* nothing the bot sends can ping anyone (`allowed_mentions` parses nothing);
* nothing it asks Lavalink to load is a local file or a private address;
* a refusal (an ephemeral reply) changes nothing: /queue reads the same and
  Lavalink gets no player update.

How hypothesis runs here: each property is an `async def` test under
`@given`, and pytest-asyncio runs every example as a coroutine on the event
loop the `bot` fixture started the bot on. So one bot, with its two fakes,
serves all the examples of a test (starting one per example would cost about
a second each); the fixture is function-scoped on purpose, hence the
suppressed `function_scoped_fixture` health check. A sync `@given` test
running its own loop could not use the async fixtures, and drawing examples
with `.example()` outside `@given` gives up shrinking and the report of the
failing input. State carries over from one example to the next (tracks get
queued, skipped, removed): `topped_up` keeps a track playing with a few
queued, and each property is checked against the state just before its own
command, so a failure names the exact option values; its shrinking may be
reported as flaky because of that carried state.

The bugs these properties found are pinned by the regression tests at the end.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import unicodedata
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loguru import logger
from pydantic import SecretStr

from tests.db.conftest import drop_postgres_database, open_session_database
from tests.e2e.harness import Harness, answer, harness
from tests.e2e.test_play import embed_text

MAX_OPTION_LENGTH = 6000  # Discord's limit for a string option's value
CATALOGUE = [f"https://example.com/t{i}" for i in range(1, 7)]
PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

EXCEPTION_NAME = re.compile(r"Traceback|\b\w*(?:Error|Exception)\b")
UNEXPECTED = "Something went wrong"
MESSAGE_ROUTE = re.compile(
    r"^/(?:interactions/\d+/[^/]+/callback|webhooks/\d+/[^/]+(?:/messages/[^/]+)?"
    r"|channels/\d+/messages(?:/\d+)?)$"
)
SEARCH_PREFIX = re.compile(r"^[a-z]+search:")

NASTY = (
    "@everyone",
    "@here",
    "<@&123456789012345678>",
    "<@123456789012345678>",
    "<@!123456789012345678>",
    "<#123456789012345678>",
    "</play:123456789012345678>",
    "@\u200beveryone",
    "\u200b@everyone\u200b",
    "**@everyone** <@&1>",
    "file:///etc/passwd",
    "file:/etc/passwd",
    "FILE:///etc/passwd",
    "local:/etc/passwd",
    "jar:file:///plugins/x.jar!/a",
    "http://127.0.0.1:2333/",
    "http://localhost:2333/v4/info",
    "https://[::1]:2333/",
    "http://[::ffff:127.0.0.1]/",
    "http://0x7f.1/",
    "http://2130706433/",
    "http://127.1/",
    "http://10.0.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://lavalink:2333/",
    "http://user:pass@127.0.0.1/",
    "http://example.com@127.0.0.1/",
    "HTTP://LOCALHOST./",
    "http://１２７.０.０.１:2333/",
    "http://127.0.0.1\\@example.com/",
    "ftp://example.com/a.mp3",
    "gopher://127.0.0.1:70/",
    "data:audio/mp3;base64,AAAA",
    "javascript:alert(1)",
    "https://",
    "http://",
    "https:///x",
    "https://example.com:99999/",
    "https://exa mple.com/",
    "https://example.com/t1#@everyone",
    "`",
    "```",
    "``` ```",
    "**bold** __under__ ~~strike~~ ||spoiler||",
    "# Heading",
    "-# small",
    "> quote",
    "[click](https://evil.example)",
    "\x00",
    "\x07\x08\x1b[31m",
    "\r\n",
    "\t",
    " ",
    "\u202eevil",
    "\ufeff",
    "\u200b\u200c\u200d\u2060",
    "'; DROP TABLE queue_items; --",
    "${jndi:ldap://127.0.0.1/a}",
    "%s%s%n",
    "{0}{1}",
    "🎵" * 50,
    "Z̴̡͙a̷l̸g̵o̶",
    "ytsearch:",
    "scsearch:x",
    "spsearch:",
    "Re: Zero",
    "Track T1",
)

option_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(min_size=1, max_size=200),
    st.text(min_size=1, max_size=MAX_OPTION_LENGTH),
    st.tuples(st.sampled_from(NASTY), st.text(max_size=40), st.sampled_from(NASTY)).map("".join),
    st.integers(1, MAX_OPTION_LENGTH).map(lambda n: "x" * n),
    st.sampled_from(NASTY).map(lambda s: (s * MAX_OPTION_LENGTH)[:MAX_OPTION_LENGTH]),
)
source_option = st.none() | st.sampled_from(["youtube", "SoundCloud ", "spotify"]) | option_text

seek_digits = st.one_of(
    st.text("0123456789", min_size=1, max_size=8),
    st.text("٠١٢٣٤٥٦٧٨٩０１２３４５６７８９", min_size=1, max_size=3),
    st.just(""),
)
seek_time = st.one_of(
    option_text,
    st.builds(
        lambda sign, parts: sign + ":".join(parts),
        st.sampled_from(["", "+", "-", "+ ", "- ", "++", "+-", " "]),
        st.lists(seek_digits, min_size=1, max_size=4),
    ),
    # Up to thousands of hour digits: past 4300, int() refuses them (see the regression test).
    st.builds(
        lambda sign, n: f"{sign}{'1' * n}:00:00",
        st.sampled_from(["", "+", "-"]),
        st.integers(3, MAX_OPTION_LENGTH - 7),
    ),
    st.sampled_from(["1:23", "0", "+10", "-10", "99:99", "1:60", "59:59:59", "1e3", "1_000"]),
)

position = st.integers(1, 10_000)
text_commands = st.one_of(
    st.tuples(
        st.just("play"), st.fixed_dictionaries({"query": option_text, "source": source_option})
    ),
    st.tuples(
        st.just("search"), st.fixed_dictionaries({"query": option_text, "source": source_option})
    ),
)
number_commands = st.one_of(
    st.tuples(st.just("volume"), st.fixed_dictionaries({"level": st.integers(0, 200)})),
    st.tuples(st.just("remove"), st.fixed_dictionaries({"position": position})),
    st.tuples(st.just("move"), st.fixed_dictionaries({"source": position, "target": position})),
    st.tuples(st.just("skip"), st.fixed_dictionaries({"to": st.none() | position})),
)


@pytest.fixture
def error_lines() -> Iterator[list[str]]:
    """Every error the bot logs during the test."""
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), format="{message}", level="ERROR")
    yield lines
    logger.remove(sink)


@contextlib.asynccontextmanager
async def music_bot(tmp_path: Path, database_url: str | None = None) -> AsyncIterator[Harness]:
    """The bot with alice in voice and tracks an hour long, on a frozen Lavalink clock.

    The frozen clock keeps a track seeked to its end from finishing, so the
    only player updates are the ones commands cause.
    """
    # Rate limits have their own tests; here they would refuse for the wrong reason.
    limits = {
        "commands_per_user_per_10s": 100_000,
        "searches_per_user_per_minute": 100_000,
        "searches_per_guild_per_minute": 100_000,
    }
    database = {"url": SecretStr(database_url)} if database_url else {}
    async with harness(tmp_path, clock_speed=1e-6, limits=limits, database=database) as h:
        h.add_tracks(len(CATALOGUE), length=3_600_000)
        await h.join()
        yield h


@pytest.fixture(params=["sqlite"])
async def bot(
    request: pytest.FixtureRequest, tmp_path: Path, error_lines: list[str]
) -> AsyncIterator[Harness]:
    """One bot for all the examples of a test (on SQLite, or on PostgreSQL when the test is
    parametrized so); at the end everything it sent and loaded is checked once more."""
    url = open_session_database() if request.param == "postgresql" else None
    try:
        async with music_bot(tmp_path, url) as h:
            yield h
            await h.bot.bus.drain()
            assert_pings_nobody(h.discord.requests)
            assert_loads_only_public_links(h.lavalink.requests)
            assert not error_lines, f"the bot logged an error: {error_lines[0][:500]}"
    finally:
        if url is not None:
            await drop_postgres_database(url)


async def topped_up(h: Harness) -> None:
    """A track playing and at least three queued (refilled from the catalogue as needed)."""
    audio: Any = h.bot.get_cog("audio")
    for url in CATALOGUE:
        session = audio.service.sessions.get(h.world.guild.id)
        if session is not None and session.queue.current is not None and len(session.queue) >= 3:
            return
        await h.reply("play", query=url)


def shown_text(message: dict[str, Any]) -> str:
    """Everything the user reads in a message: content, embeds with footers."""
    footers = " ".join((e.get("footer") or {}).get("text", "") for e in message.get("embeds", []))
    return f"{embed_text(message)} {footers}"


def message_bodies(requests: Iterable[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The message payloads among Discord requests (callbacks, follow-ups, edits, posts)."""
    for request in requests:
        if request.method not in ("POST", "PATCH") or not MESSAGE_ROUTE.match(request.path):
            continue
        body = request.json
        if request.path.endswith("/callback") and isinstance(body, dict):
            body = body.get("data")
        if isinstance(body, dict):
            yield request.path, body


def assert_pings_nobody(requests: Iterable[Any]) -> None:
    """Every message with text tells Discord to parse no mention at all."""
    for path, body in message_bodies(requests):
        if not body.get("content"):
            continue  # embeds never ping
        mentions = body.get("allowed_mentions")
        assert isinstance(mentions, dict), f"{path}: content sent without allowed_mentions"
        assert mentions.get("parse") == [], f"{path}: allowed_mentions {mentions}"
        assert not mentions.get("users") and not mentions.get("roles"), f"{path}: {mentions}"


def is_public_web_link(link: str) -> bool:
    """http(s) to a host that is not local or private, read the lenient ways too.

    The host is checked as typed, after Unicode compatibility folding (what
    IDNA does to `１２７.０.０.１`) and with `\\` read as `/` (as browsers and
    many HTTP clients do).
    """
    for form in (link, unicodedata.normalize("NFKC", link).replace("\\", "/")):
        parts = urlsplit(form)
        if parts.scheme.lower() not in ("http", "https"):
            return False
        host = (parts.hostname or "").rstrip(".").lower()
        if not host or host == "localhost" or host.endswith(".localhost"):
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            try:  # 127.1, 0x7f.1, 2130706433: what C resolvers accept for an IPv4 address
                address = ipaddress.IPv4Address(socket.inet_aton(host))
            except OSError:
                if "." not in host:
                    return False  # one label: a machine on the LAN, a Docker service
                continue
        if not address.is_global:
            return False
    return True


def assert_loads_only_public_links(requests: Iterable[Any]) -> None:
    """What Lavalink was asked to load: searches, or links to public web hosts."""
    for request in requests:
        if not request.path.endswith("/loadtracks"):
            continue
        identifier = request.query.get("identifier", "")
        if SEARCH_PREFIX.match(identifier):
            continue
        assert is_public_web_link(identifier), f"Lavalink was asked to load {identifier!r}"


async def queue_text(h: Harness) -> str:
    """What /queue shows now."""
    return shown_text(await h.reply("queue"))


async def run_checked(h: Harness, errors: list[str], name: str, options: dict[str, Any]) -> None:
    """Run /name with `options` and check every property of the module docstring."""
    await topped_up(h)
    before = await queue_text(h)
    discord_mark, lavalink_mark, errors_mark = len(h.discord.requests), h.mark(), len(errors)
    interaction = await h.slash(name, **options)
    message = await answer(interaction, timeout=10.0)
    await h.bot.bus.drain()  # the audit log and the other subscribers are done with it
    assert not interaction.rejected, f"Discord refused the answer: {interaction.rejected}"
    logged = errors[errors_mark:]
    shown = shown_text(message)
    typed = " ".join(str(value) for value in options.values())
    assert UNEXPECTED not in shown, f"/{name} failed unexpectedly: {logged[:1]}"
    leaked = [word for word in EXCEPTION_NAME.findall(shown) if word not in typed]
    assert not leaked, f"/{name} showed {leaked}: {shown[:300]!r}"
    assert not logged, f"/{name} logged an error: {logged[0][:500]}"
    assert_pings_nobody(h.discord.requests[discord_mark:])
    assert_loads_only_public_links(h.lavalink.requests[lavalink_mark:])
    if message["ephemeral"]:
        patches = [r for r in h.lavalink.requests[lavalink_mark:] if r.method == "PATCH"]
        assert not patches, f"refused /{name} still updated the player: {patches[0].json}"
        assert await queue_text(h) == before, f"refused /{name} changed the queue"


# On PostgreSQL too: it refuses some text SQLite takes (NUL), and the audit log keeps queries.
@pytest.mark.parametrize("bot", ["sqlite", "postgresql"], indirect=True)
@PROPERTY_SETTINGS
@given(command=text_commands)
async def test_play_and_search_survive_any_text(
    bot: Harness, error_lines: list[str], command: tuple[str, dict[str, Any]]
) -> None:
    """/play and /search with any query and source: answered safely, refusals change nothing."""
    await run_checked(bot, error_lines, *command)


@PROPERTY_SETTINGS
@given(time=seek_time)
async def test_seek_survives_any_time(bot: Harness, error_lines: list[str], time: str) -> None:
    """/seek with any text: a readable refusal, or a jump within the track."""
    await run_checked(bot, error_lines, "seek", {"time": time})


@PROPERTY_SETTINGS
@given(command=number_commands)
async def test_number_options_survive_any_value_discord_allows(
    bot: Harness, error_lines: list[str], command: tuple[str, dict[str, Any]]
) -> None:
    """/volume, /remove, /move and /skip with any value within their bounds."""
    await run_checked(bot, error_lines, *command)


# -- what the properties found (fixed in 4cc8b34) ---------------------------------------


async def test_seek_with_thousands_of_hour_digits_is_refused_politely(
    bot: Harness, error_lines: list[str]
) -> None:
    """A 4301-digit hour count is a bad time, not a crash (int() refuses over 4300 digits)."""
    await run_checked(bot, error_lines, "seek", {"time": "1" * 4301 + ":00:00"})


async def test_fullwidth_loopback_link_is_refused(bot: Harness, error_lines: list[str]) -> None:
    """`http://１２７.０.０.１:2333/` is the local Lavalink, whatever digits it is typed in."""
    await run_checked(bot, error_lines, "play", {"query": "http://１２７.０.０.１:2333/"})


async def test_backslash_before_userinfo_link_is_refused(
    bot: Harness, error_lines: list[str]
) -> None:
    """A link whose host depends on how `\\` is read (127.0.0.1 for browsers) is not loaded."""
    await run_checked(bot, error_lines, "play", {"query": "http://127.0.0.1\\@example.com/"})
