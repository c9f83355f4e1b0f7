"""lavalink/application.yml: a Lavalink v4 config with pinned plugins and no secret in it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "lavalink" / "application.yml"
README = ROOT / "lavalink" / "README.md"

# artifact -> the version prefix the project pins (issue 10).
EXPECTED_PLUGINS = {
    "dev.lavalink.youtube:youtube-plugin": "1.13.",
    "com.github.topi314.lavasrc:lavasrc-plugin": "4.8.",
    "com.github.topi314.lavasearch:lavasearch-plugin": "1.0.",
    "com.github.topi314.sponsorblock:sponsorblock-plugin": "3.",
    "com.github.topi314.lavalyrics:lavalyrics-plugin": "1.",
}
PLACEHOLDER = re.compile(r"^\$\{(?P<name>[A-Z][A-Z0-9_]*):(?P<default>[^}]*)\}$")
CREDENTIAL_KEY = re.compile(
    r"password|secret|token|clientid|spdc|arl|key|dsn|visitordata", re.IGNORECASE
)
# The one credential allowed a default: Lavalink's well-known local password.
ALLOWED_DEFAULTS = {("lavalink", "server", "password"): "youshallnotpass"}


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return yaml.safe_load(CONFIG.read_text())


def leaves(node: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every scalar of the YAML tree with its key path."""
    if isinstance(node, dict):
        return [item for k, v in node.items() for item in leaves(v, (*path, str(k)))]
    if isinstance(node, list):
        return [item for i, v in enumerate(node) for item in leaves(v, (*path, str(i)))]
    return [(path, node)]


def placeholders(config: dict[str, Any]) -> set[str]:
    """Names of the environment variables the config reads."""
    values = [str(value) for _, value in leaves(config)]
    return {name for value in values for name in re.findall(r"\$\{([A-Z][A-Z0-9_]*):", value)}


def test_application_yml_parses_with_the_sections_lavalink_reads(config: dict[str, Any]) -> None:
    """server, lavalink.server and plugins (at the root, where plugins read them) exist."""
    assert set(config) >= {"server", "lavalink", "plugins", "logging"}
    assert config["lavalink"]["server"]["password"]
    assert set(config["plugins"]) >= {"youtube", "lavasrc", "lavalyrics"}


def test_every_plugin_is_pinned_to_the_stated_version(config: dict[str, Any]) -> None:
    """Each plugin appears once, with an exact release version (no snapshot, no range)."""
    found: dict[str, str] = {}
    for plugin in config["lavalink"]["plugins"]:
        group_artifact, _, version = plugin["dependency"].rpartition(":")
        assert group_artifact not in found, f"{group_artifact} listed twice"
        found[group_artifact] = version
        assert plugin.get("snapshot", False) is False
        assert plugin["repository"].startswith("https://")
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{group_artifact}:{version} not exact"
    assert set(found) == set(EXPECTED_PLUGINS)
    for artifact, prefix in EXPECTED_PLUGINS.items():
        assert found[artifact].startswith(prefix), f"{artifact} is {found[artifact]}"


def test_builtin_youtube_source_is_off_because_the_plugin_replaces_it(
    config: dict[str, Any],
) -> None:
    """youtube-source's README: the built-in source must be disabled; the plugin is enabled."""
    assert config["lavalink"]["server"]["sources"]["youtube"] is False
    youtube = config["plugins"]["youtube"]
    assert youtube["enabled"] is True and youtube["allowSearch"] is True
    assert youtube["clients"], "the plugin needs at least one client"


def test_lyrics_come_from_lavalyrics_fed_by_lavasrc(config: dict[str, Any]) -> None:
    """LavaLyrics only serves sources LavaSrc registers; YouTube lyrics need no credentials."""
    lavasrc = config["plugins"]["lavasrc"]
    assert lavasrc["lyrics-sources"]["youtube"] is True
    assert lavasrc["sources"]["youtube"] is True
    assert set(config["plugins"]["lavalyrics"]["sources"]) <= set(lavasrc["lyrics-sources"])


def test_no_credential_is_written_in_the_file(config: dict[str, Any]) -> None:
    """Every credential-like key is a ${ENV:} placeholder with an empty default."""
    checked = []
    for path, value in leaves(config):
        if not CREDENTIAL_KEY.search(path[-1]) or path[-1] in {"formats"}:
            continue
        checked.append(path)
        match = PLACEHOLDER.match(str(value))
        assert match, f"{'.'.join(path)} must be a ${{ENV_VAR:}} placeholder, not a literal"
        assert match["default"] == ALLOWED_DEFAULTS.get(path, ""), (
            f"{'.'.join(path)} has a literal default"
        )
    assert ("lavalink", "server", "password") in checked
    assert ("plugins", "lavasrc", "spotify", "clientSecret") in checked
    assert ("plugins", "youtube", "oauth", "refreshToken") in checked


def test_every_environment_variable_is_documented(config: dict[str, Any]) -> None:
    """lavalink/README.md explains each ${VAR} the config reads."""
    readme = README.read_text()
    missing = sorted(name for name in placeholders(config) if f"`{name}`" not in readme)
    assert not missing, f"undocumented in lavalink/README.md: {missing}"
