"""The installed package carries every data file the bot reads at run time."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_data_file_under_bot_is_package_data() -> None:
    """Locale files, status page assets…: a wheel without them would break `pip install .`."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    missing = []
    for path in (ROOT / "bot").rglob("*"):
        if not path.is_file() or path.suffix in {".py", ".pyc"} or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(ROOT)
        covered = any(
            relative.is_relative_to(Path(*package.split(".")))
            and any(
                fnmatch(str(relative.relative_to(Path(*package.split(".")))), pattern)
                for pattern in patterns
            )
            for package, patterns in package_data.items()
        )
        if not covered:
            missing.append(str(relative))
    assert missing == []
