"""Values every backend can store: PostgreSQL refuses the NUL character in text and JSON.

A user can type one into a slash-command option, which the audit log keeps,
and a track title could carry one; either would make the write fail on every
retry. It is replaced with U+FFFD, the usual mark of an unrepresentable character.
"""

from __future__ import annotations

from typing import Any

__all__ = ["storable"]

_NUL = "\x00"
_REPLACEMENT = "\ufffd"


def storable(value: Any) -> Any:
    """``value`` with NUL replaced in every string, inside lists and dicts (keys too)."""
    if isinstance(value, str):
        return value.replace(_NUL, _REPLACEMENT) if _NUL in value else value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value
