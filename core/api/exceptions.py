"""One error shape for the whole API.

* 400 — ``{"<field>": ["…"], "non_field_errors": ["…"]}`` (a malformed body is reported under
  ``non_field_errors``);
* 401/403/404/405/406/409/415/429 — ``{"detail": "…"}``; a 409 also names the conflicting
  field (``{"detail": "…", "date": ["…"]}``).

Messages are pt-BR through Django's translation machinery.
"""

from __future__ import annotations

from typing import Any

from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import DomainError


def domain_error_response(exc: DomainError) -> Response:
    if exc.status_code == status.HTTP_400_BAD_REQUEST:
        return Response({exc.field or "non_field_errors": [exc.message]}, status=exc.status_code)
    data: dict[str, Any] = {"detail": exc.message}
    if exc.field:
        data[exc.field] = [exc.message]
    return Response(data, status=exc.status_code)


def _parse_error_message(exc: ParseError) -> str:
    """Our parsers' own Portuguese message; DRF's English ones replaced."""
    detail = str(exc.detail)
    if detail.startswith("Multipart form parse error"):
        return str(_("O corpo multipart é inválido."))
    if detail == str(ParseError.default_detail) or detail.startswith("JSON parse error"):
        return str(_("O corpo da requisição não é um JSON válido."))
    return detail


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(
            {
                "detail": _(
                    "Não é possível excluir: há histórico de consultas ou pagamentos ligado."
                )
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, ParseError):
        # A malformed body is a client error about the body as a whole.
        exc = ValidationError({"non_field_errors": [_parse_error_message(exc)]})
    elif isinstance(exc, Http404):
        exc = NotFound()  # Django's message names the model, in English
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError) and not isinstance(response.data, dict):
        response.data = {"non_field_errors": response.data}
    elif isinstance(response.data, dict) and "detail" in response.data:
        # Other errors have one shape: {"detail": "..."} (simplejwt adds "code"/"messages").
        response.data = {"detail": response.data["detail"]}
    return response
