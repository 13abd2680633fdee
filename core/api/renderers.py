"""JSON rendered by orjson, byte for byte what DRF's ``JSONRenderer`` writes.

DRF's renderer (with this project's settings: UTF-8 not ``\\u`` escapes, compact separators)
calls ``json.dumps`` and then escapes U+2028/U+2029 for JavaScript. This renderer produces the
same bytes several times faster:

* datetimes, dates, times, decimals, UUIDs, lazy translations... go through DRF's own
  ``JSONEncoder.default`` (orjson's native datetime format differs, so they are passed through);
* U+2028/U+2029 are escaped the same way;
* floats: orjson writes what ``repr`` writes except below 1e-4 (``0.00001`` for ``1e-05``), so
  an output with such a number falls back to DRF's renderer, as does anything orjson refuses
  (integers over 64 bits, non-string keys) and an indented rendering (``?indent=``/browsable).

``core/tests/test_body_parity.py`` holds the parity with DRF's renderer over the API's bodies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_encoder = JSONEncoder()
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
#: ``render_native``: datetimes written by orjson, a zero offset as ``Z`` as DRF writes it.
_NATIVE_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_UTC_Z
#: A number orjson writes unlike ``repr`` (``0.00001``): outside strings it follows , : [ or -.
#: Searched only in a body holding ``0.0000`` (a bytes search: the pattern's character class
#: makes the regex try every position, ~140 µs over a page of 20 appointments).
_TINY_FLOAT = re.compile(rb"[,:\[-]0\.0000")
_TINY_FLOAT_TEXT = b"0.0000"
#: U+2028/U+2029 in UTF-8; the lead byte first (one ``memchr``, absent from most bodies).
_SEPARATORS_LEAD = b"\xe2"


def _default(obj: Any) -> Any:
    return _encoder.default(obj)


class FastJSONRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return self._render(data, _OPTIONS, accepted_media_type, renderer_context)

    def render_native(self, data: Any) -> bytes:
        """``render`` of data whose datetimes, dates and times are only those of
        ``compiled.represent_many(native=True)``: aware, in a zone with whole-minute offsets,
        in orjson's years — which orjson writes as the text DRF's field writes (and DRF's
        encoder, on a fallback, too), in C instead of one ``isoformat`` each."""
        return self._render(data, _NATIVE_OPTIONS, None, None)

    def _render(
        self,
        data: Any,
        options: int,
        accepted_media_type: str | None,
        renderer_context: Mapping[str, Any] | None,
    ) -> bytes:
        if data is None:
            return b""
        if (
            self.ensure_ascii
            or not self.compact
            or self.get_indent(accepted_media_type or "", dict(renderer_context or {})) is not None
        ):
            return self._drf(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_default, option=options)
        except (orjson.JSONEncodeError, TypeError, ValueError):
            return self._drf(data, accepted_media_type, renderer_context)
        if _TINY_FLOAT_TEXT in rendered and _TINY_FLOAT.search(rendered):
            return self._drf(data, accepted_media_type, renderer_context)
        if _SEPARATORS_LEAD in rendered and (
            b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered
        ):
            rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(
                b"\xe2\x80\xa9", b"\\u2029"
            )
        return rendered

    def _drf(
        self, data: Any, accepted_media_type: str | None, context: Mapping[str, Any] | None
    ) -> bytes:
        rendered: bytes = super().render(data, accepted_media_type, context)
        return rendered
