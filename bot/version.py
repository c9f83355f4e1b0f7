"""The bot's version and the versions of the libraries it runs on."""

from __future__ import annotations

import platform
from importlib import metadata

__version__ = "0.1.0"

_LIBRARIES = ("discord.py", "mafic", "SQLAlchemy", "aiohttp", "pydantic", "alembic")


def versions() -> dict[str, str]:
    """Bot, Python and library versions, for `version` and `/info`."""
    found = {"bot": __version__, "python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
