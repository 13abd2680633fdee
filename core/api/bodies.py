"""Request bodies as plain dicts, whatever the parser (JSON, form-encoded, multipart)."""

from __future__ import annotations

from typing import Any


def plain_body(data: Any) -> Any:
    """A ``QueryDict`` (form bodies) as a dict of its last values; anything else unchanged.

    ``{**query_dict}`` would copy its internal lists, not the values."""
    if hasattr(data, "getlist") and hasattr(data, "dict"):
        return data.dict()
    return data
