"""The OpenAPI 3 document (placeholder)."""

from __future__ import annotations

from typing import Any


def document(operations: Any, settings: Any) -> dict[str, Any]:
    """The document."""
    return {}
