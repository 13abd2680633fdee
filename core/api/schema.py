"""Reusable OpenAPI pieces: the error bodies every endpoint documents."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    inline_serializer,
)
from rest_framework import serializers

DetailErrorSerializer = inline_serializer(
    name="DetailError",
    fields={"detail": serializers.CharField()},
)

ValidationErrorSerializer = inline_serializer(
    name="ValidationError",
    fields={
        "non_field_errors": serializers.ListField(child=serializers.CharField(), required=False),
    },
)

ConflictErrorSerializer = inline_serializer(
    name="ConflictError",
    fields={
        "detail": serializers.CharField(),
        "date": serializers.ListField(child=serializers.CharField(), required=False),
    },
)

VALIDATION_ERROR = OpenApiResponse(
    ValidationErrorSerializer,
    description=_("Dados inválidos: cada campo com a sua lista de mensagens."),
    examples=[
        OpenApiExample(
            "Campo obrigatório",
            value={"preferred_name": ["Este campo é obrigatório."]},
            response_only=True,
        ),
    ],
)
NOT_FOUND = OpenApiResponse(DetailErrorSerializer, description=_("Recurso não encontrado."))
UNSUPPORTED_MEDIA = OpenApiResponse(
    DetailErrorSerializer, description=_("Tipo de mídia não suportado (use application/json).")
)
CONFLICT = OpenApiResponse(
    ConflictErrorSerializer,
    description=_("Conflito de horário com outra consulta do mesmo profissional."),
)

PROTECTED = OpenApiResponse(
    DetailErrorSerializer,
    description=_("Recusado: o registro tem histórico que precisa ser preservado."),
)

READ_ERRORS = {404: NOT_FOUND}
WRITE_ERRORS = {400: VALIDATION_ERROR, 415: UNSUPPORTED_MEDIA}


def described_filter_parameters(
    filterset: type, types: dict[str, OpenApiTypes]
) -> list[OpenApiParameter]:
    """Query parameters for filters whose schema type is overridden, keeping their labels
    (drf-spectacular drops the label of a filter whose class carries a type override)."""
    filters = filterset.base_filters  # type: ignore[attr-defined]
    return [
        OpenApiParameter(name, type_, OpenApiParameter.QUERY, description=str(filters[name].label))
        for name, type_ in types.items()
    ]


def add_common_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: document on every operation the responses
    that come from the framework rather than the view — 429 (throttling) everywhere, and
    401/403 wherever authentication is required."""
    detail = {"application/json": {"schema": {"$ref": "#/components/schemas/DetailError"}}}
    common = {
        "429": str(_("Muitas requisições: aguarde e tente de novo (limite por usuário/IP).")),
    }
    secured = {
        "401": str(_("Credenciais ausentes ou inválidas (envie Authorization: Bearer <token>).")),
        "403": str(_("Autenticado, mas sem permissão para esta operação.")),
    }
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            wanted = dict(common)
            security = operation.get("security") or []
            if security and {} not in security:
                wanted.update(secured)
            for code, description in wanted.items():
                operation["responses"].setdefault(
                    code, {"description": description, "content": detail}
                )
    return result


def bearer_first(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Swagger's Authorize dialog lists the schemes in this order: the JWT one first (a token
    pasted in the cookie box gave a misleading 401)."""
    schemes = result.get("components", {}).get("securitySchemes")
    if schemes:
        bearer = {k: v for k, v in schemes.items() if v.get("scheme") == "bearer"}
        result["components"]["securitySchemes"] = {**bearer, **schemes}
    return result
