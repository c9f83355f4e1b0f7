"""Lavalink: each node reachable, password right, v4, the plugins it runs, a test search."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import aiohttp
import yarl

from bot.doctor.http import HttpProblem, Reason, get_json, get_text
from bot.doctor.report import CheckResult
from bot.settings import LavalinkNode, Settings

__all__ = [
    "MIN_YOUTUBE_PLUGIN",
    "OPTIONAL_PLUGINS",
    "RECOMMENDED_YOUTUBE_PLUGIN",
    "TEST_SEARCH",
    "check_lavalink",
]

# lavalink/application.yml pins this; a test keeps the two equal.
RECOMMENDED_YOUTUBE_PLUGIN = "1.13.5"
# YouTube breaks older clients: releases before this one no longer load most videos.
MIN_YOUTUBE_PLUGIN = (1, 13, 0)
YOUTUBE_ARTIFACT = "dev.lavalink.youtube:youtube-plugin"
TEST_SEARCH = "ytsearch:never gonna give you up"
CONFIG_HINT = "see lavalink/application.yml in the bot's repository"


@dataclass(frozen=True)
class PluginKind:
    """A Lavalink plugin the bot can use, recognised by a word in its reported name."""

    label: str
    marker: str
    adds: str


OPTIONAL_PLUGINS = (
    PluginKind("LavaSrc", "lavasrc", "Spotify, Apple Music and Deezer links and searches"),
    PluginKind("LavaSearch", "lavasearch", "album, artist and playlist search"),
    PluginKind("SponsorBlock", "sponsorblock", "skipping sponsor segments"),
    PluginKind("lyrics", "lyrics", "lyrics of the playing track"),
)
# The Lavalink source manager each guild default search source needs.
_SOURCE_MANAGERS = {
    "youtube": "youtube",
    "youtubemusic": "youtube",
    "soundcloud": "soundcloud",
    "spotify": "spotify",
    "applemusic": "applemusic",
    "deezer": "deezer",
}


async def check_lavalink(settings: Settings, session: aiohttp.ClientSession) -> list[CheckResult]:
    """Every configured node, one after the other; no node at all is a failure."""
    if not settings.lavalink.nodes:
        return [
            CheckResult.fail(
                "Lavalink",
                "no node configured",
                "add one under [lavalink] nodes (host, port, password = Lavalink's "
                "lavalink.server.password) or set BOT_LAVALINK__NODES; see lavalink/README.md",
            )
        ]
    results: list[CheckResult] = []
    for node in settings.lavalink.nodes:
        results += await NodeCheck(node, settings, session).run()
    return results


class NodeCheck:
    """The checks of one node, each one only when the previous could talk to it."""

    def __init__(
        self, node: LavalinkNode, settings: Settings, session: aiohttp.ClientSession
    ) -> None:
        self.node = node
        self.settings = settings
        self.session = session
        self.address = f"{node.host}:{node.port}"
        self.name = f"Lavalink {node.label!r} ({self.address})"
        self.short_name = f"Lavalink {node.label!r}"
        self.base = yarl.URL.build(
            scheme="https" if node.secure else "http", host=node.host, port=node.port
        )
        self.headers = {"Authorization": node.password.get_secret_value()}

    async def run(self) -> list[CheckResult]:
        """Connection and version, then plugins, then a test search."""
        try:
            version = await get_text(self.session, str(self.base / "version"), self.headers)
            version = version.strip()
            if (unsupported := self._version_problem(version)) is not None:
                return [unsupported]
            info = await get_json(self.session, str(self.base / "v4" / "info"), self.headers)
        except HttpProblem as problem:
            return [self._connection_failure(problem)]
        results = [CheckResult.ok(self.name, f"reachable, password accepted, Lavalink {version}")]
        results += self._plugin_results(info)
        results.append(await self._search_result())
        return results

    def _connection_failure(self, problem: HttpProblem) -> CheckResult:
        node = self.node
        if problem.status == 401:
            return CheckResult.fail(
                self.name,
                "password rejected (HTTP 401)",
                f"the password of node {node.label!r} must equal lavalink.server.password in "
                "Lavalink's application.yml (or its LAVALINK_SERVER_PASSWORD variable)",
            )
        if problem.reason is Reason.REFUSED:
            return CheckResult.fail(
                self.name,
                f"nothing listens on {self.address}",
                "is Lavalink running? is the port right? It must be server.port of Lavalink's "
                f"application.yml (2333 by default){_container_hint(node.host)}",
            )
        if problem.reason is Reason.DNS:
            return CheckResult.fail(
                self.name,
                f"the host name {node.host!r} does not resolve",
                "fix host in [lavalink] nodes; with Docker Compose use the service name (lavalink)",
            )
        if problem.reason is Reason.TIMEOUT:
            return CheckResult.fail(
                self.name,
                f"no answer from {self.address} in time",
                "a firewall may drop the traffic, or the host is wrong; Lavalink must accept "
                "connections from this machine (server.address 0.0.0.0)",
            )
        if problem.reason is Reason.TLS:
            return CheckResult.fail(
                self.name,
                problem.summary,
                "set secure = false for this node unless Lavalink sits behind an HTTPS proxy",
            )
        if problem.status == 404:
            return CheckResult.fail(
                self.name,
                "this server has no /version or /v4/info: it is not a Lavalink v4",
                f"check the port; install Lavalink 4.1.x ({CONFIG_HINT})",
            )
        return CheckResult.fail(
            self.name,
            f"unexpected answer: {problem.summary}",
            "check host, port and secure of this node, and Lavalink's log",
        )

    def _version_problem(self, version: str) -> CheckResult | None:
        major = _major(version)
        if major is None or major == 4:
            return None
        if major < 4:
            return CheckResult.fail(
                self.name,
                f"Lavalink {version} is too old: the bot speaks the v4 protocol",
                "upgrade to Lavalink 4.1.x: the Lavalink.jar of a 4.x release (Java 17+) or the "
                f"ghcr.io/lavalink-devs/lavalink:4 image, with the bot's application.yml "
                f"({CONFIG_HINT})",
            )
        return CheckResult.fail(
            self.name,
            f"Lavalink {version} is newer than the v4 protocol the bot speaks",
            "run a Lavalink 4.x release",
        )

    def _plugin_results(self, info: Any) -> list[CheckResult]:
        if not isinstance(info, dict):
            return [
                CheckResult.fail(
                    f"{self.short_name} plugins",
                    "/v4/info did not answer a JSON object",
                    f"check the port: is this a Lavalink 4.x? ({CONFIG_HINT})",
                )
            ]
        plugins = {
            str(p.get("name", "")): str(p.get("version", "")) for p in info.get("plugins") or []
        }
        sources = [str(s) for s in info.get("sourceManagers") or []]
        results = [self._youtube_result(plugins)]
        results.append(self._optional_plugins_result(plugins))
        if (default := self._default_source_result(sources)) is not None:
            results.append(default)
        return results

    def _youtube_result(self, plugins: dict[str, str]) -> CheckResult:
        name = f"{self.short_name} YouTube plugin"
        found = {n: v for n, v in plugins.items() if "youtube" in n.lower()}
        dependency = f"{YOUTUBE_ARTIFACT}:{RECOMMENDED_YOUTUBE_PLUGIN}"
        if not found:
            return CheckResult.fail(
                name,
                "missing: YouTube plays through Lavalink's deprecated built-in source, which "
                "YouTube blocks",
                f"add {dependency} to lavalink.plugins and set lavalink.server.sources.youtube: "
                f"false, then restart Lavalink ({CONFIG_HINT})",
            )
        plugin, version = next(iter(found.items()))
        parsed = _version_tuple(version)
        if parsed is not None and parsed < MIN_YOUTUBE_PLUGIN:
            return CheckResult.fail(
                name,
                f"{plugin} {version} is outdated: YouTube breaks old versions",
                f"update it to {dependency} or newer in lavalink.plugins, delete the old jar from "
                "Lavalink's plugins folder and restart Lavalink",
            )
        return CheckResult.ok(name, f"{plugin} {version}")

    def _optional_plugins_result(self, plugins: dict[str, str]) -> CheckResult:
        name = f"{self.short_name} other plugins"
        present, missing = [], []
        for kind in OPTIONAL_PLUGINS:
            match = next((n for n in plugins if kind.marker in n.lower()), None)
            if match is None:
                missing.append(kind)
            else:
                present.append(f"{kind.label} ({match} {plugins[match]})")
        if not missing:
            return CheckResult.ok(name, ", ".join(present))
        lacking = "; ".join(f"{kind.label} ({kind.adds})" for kind in missing)
        return CheckResult.warn(
            name,
            f"missing {lacking}" + (f"; found {', '.join(present)}" if present else ""),
            f"optional: add them to lavalink.plugins to get these features ({CONFIG_HINT})",
        )

    def _default_source_result(self, sources: list[str]) -> CheckResult | None:
        default = self.settings.guild_defaults.default_source
        needed = _SOURCE_MANAGERS.get(default, default)
        if needed in sources or needed == "youtube":  # YouTube has its own check
            return None
        return CheckResult.fail(
            f"{self.short_name} default search source",
            f"guild_defaults.default_source is {default!r} but Lavalink has no {needed} source "
            f"(it has {', '.join(sources) or 'none'})",
            f"enable {needed} in Lavalink (LavaSrc: see lavalink/README.md) or set "
            'guild_defaults.default_source = "youtube"',
        )

    async def _search_result(self) -> CheckResult:
        name = f"{self.short_name} test search"
        query = TEST_SEARCH.partition(":")[2]
        fix = (
            "YouTube often breaks older plugin versions: update "
            f"{YOUTUBE_ARTIFACT} to its newest release and restart Lavalink; if it is current, "
            "look for 'Sign in to confirm' in Lavalink's log and enable OAuth "
            "(lavalink/README.md)"
        )
        try:
            result = await get_json(
                self.session,
                str(self.base / "v4" / "loadtracks"),
                self.headers,
                params={"identifier": TEST_SEARCH},
            )
        except HttpProblem as problem:
            return CheckResult.fail(name, f"loadtracks failed: {problem.summary}", fix)
        if not isinstance(result, dict):
            return CheckResult.fail(name, "loadtracks did not answer a JSON object", fix)
        load_type, data = result.get("loadType"), result.get("data")
        if load_type == "search" and data:
            first = data[0].get("info", {})
            return CheckResult.ok(
                name,
                f"{len(data)} result(s) for {query!r}, first: "
                f"{first.get('title', '?')} by {first.get('author', '?')}",
            )
        if load_type == "error":
            message = (data or {}).get("message") or "no message"
            return CheckResult.fail(name, f"the search failed in Lavalink: {message}", fix)
        return CheckResult.fail(name, f"a YouTube search for {query!r} found nothing", fix)


def _major(version: str) -> int | None:
    match = re.match(r"v?(\d+)\.", version)
    return int(match.group(1)) if match else None


def _version_tuple(version: str) -> tuple[int, int, int] | None:
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", version)
    if match is None:
        return None  # a snapshot (commit hash): cannot tell its age
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def _container_hint(host: str) -> str:
    if host in {"127.0.0.1", "localhost", "::1"} and os.path.exists("/.dockerenv"):
        return (
            "; inside a container 127.0.0.1 is the container itself: use Lavalink's service "
            "name (lavalink) as host"
        )
    return ""
