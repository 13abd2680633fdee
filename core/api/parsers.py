"""Strict JSON: what PostgreSQL's jsonb and the API can hold, or a 400.

Always refused: ``NaN``/``Infinity`` (not JSON) and absurd nesting (the ``RecursionError`` the
standard decoder raises). ``json_tree_check`` also refuses the NUL character (PostgreSQL text
cannot hold it) and nesting deeper than ``MAX_JSON_DEPTH``: the webhook applies it to the part
of the event it stores; the API's serializers refuse NUL in every text field they read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, JSONParser, MultiPartParser

MAX_JSON_DEPTH = 32


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _check_tree(document: Any) -> None:
    """Iterative walk: depth bound and no NUL character in strings or keys."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                raise ValueError("NUL character in a string")
        elif isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValueError("JSON nested too deeply")
            if isinstance(node, dict):
                stack.extend((key, depth) for key in node)
                stack.extend((value, depth + 1) for value in node.values())
            else:
                stack.extend((value, depth + 1) for value in node)


def json_tree_check(document: Any) -> None:
    """``ValueError`` when ``document`` nests too deeply or holds a NUL character."""
    _check_tree(document)


def strict_json_loads(
    raw: bytes | str, *, parse_float: Callable[[str], Any] | None = None, check_tree: bool = True
) -> Any:
    """``json.loads`` with the refusals above; ``ValueError`` for every one of them.
    ``check_tree=False`` leaves depth and NUL to the caller (``json_tree_check`` on the part
    it keeps)."""
    try:
        document = json.loads(raw, parse_float=parse_float, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if check_tree:
        _check_tree(document)
    return document


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            # NUL and depth are checked by the fields that read a value (DRF refuses NUL in
            # text); keys a serializer ignores may hold anything JSON allows.
            return strict_json_loads(stream.read().decode(encoding), check_tree=False)
        except (ValueError, UnicodeDecodeError):
            raise ParseError(_("O corpo da requisição não é um JSON válido.")) from None


class StrictMultiPartParser(MultiPartParser):
    """A multipart body with content but not one readable part is malformed (Django's parser
    would hand the view an empty form and a PATCH would "succeed" with nothing)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed: DataAndFiles[Any, Any] = super().parse(stream, media_type, parser_context)
        request = (parser_context or {}).get("request")
        meta = getattr(request, "META", {}) if request is not None else {}
        length = int(meta.get("CONTENT_LENGTH") or 0)
        boundary = (media_type or "").partition("boundary=")[2]
        if not parsed.data and not parsed.files and length > len(boundary) + 8:
            raise ParseError(_("O corpo multipart não tem nenhuma parte válida."))
        return parsed
