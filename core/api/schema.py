"""Reusable OpenAPI pieces: the error bodies every endpoint documents."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    inline_serializer,
)
from rest_framework import serializers

from core.db import BIGINT_MAX

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
    DetailErrorSerializer,
    description=_(
        "Tipo de mídia não suportado (use application/json, application/x-www-form-urlencoded "
        "ou multipart/form-data)."
    ),
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

#: An id in a query string (bounded like the database's bigint).
ID_PARAMETER = {"type": "integer", "minimum": 1, "maximum": BIGINT_MAX}
#: A day (AAAA-MM-DD) or an ISO 8601 instant between the years 1900 and 2200, as the date
#: filters accept it (day numbers up to 28 in the pattern: every month has them).
DATE_OR_DATETIME_PARAMETER = {
    "type": "string",
    "pattern": (
        r"^(?:19\d\d|2[01]\d\d|2200)-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])"
        r"(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)?)?$"
    ),
}
WRITE_ERRORS = {400: VALIDATION_ERROR, 415: UNSUPPORTED_MEDIA}


def described_filter_parameters(filterset: type, types: dict[str, Any]) -> list[OpenApiParameter]:
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


FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
STRICT_QUERY_NOTE = str(
    _(
        "Parâmetros de consulta não listados aqui, ou repetidos, respondem 400 com o nome de "
        "cada um."
    )
)


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A request component as a form can carry it: no ``null`` (a form has no way to say
    it): a nullable field takes the empty value instead."""
    properties = {}
    for name, prop in schema.get("properties", {}).items():
        nullable = bool(prop.get("nullable"))
        prop = {key: value for key, value in prop.items() if key != "nullable"}
        for combinator in ("oneOf", "anyOf"):
            if combinator in prop:
                options = [
                    option
                    for option in prop[combinator]
                    if option.get("$ref") != "#/components/schemas/NullEnum"
                ]
                prop[combinator] = options
        has_blank = any(
            option.get("maxLength") == 0 or option.get("$ref", "").endswith("/BlankEnum")
            for option in prop.get("oneOf", []) + prop.get("anyOf", [])
        )
        if nullable and not has_blank:
            # In a form an empty value stands for null.
            prop = {"anyOf": [prop, {"type": "string", "maxLength": 0}]}
        properties[name] = prop
    return {**schema, "properties": properties}


#: Documents the API reads in their written shapes but answers masked in lists
#: (``***.456.789-**``): the shape is a request-only pattern.
INPUT_SHAPED_FIELDS = frozenset({"cpf", "cpf_cnpj", "postal_code"})


def _drop_input_patterns(component: dict[str, Any]) -> None:
    for name, prop in component.get("properties", {}).items():
        if name not in INPUT_SHAPED_FIELDS:
            continue
        prop.pop("pattern", None)
        options = prop.pop("oneOf", [])
        if options:  # "shaped or blank" becomes "a string" (masked or blank)
            lengths = [option.get("maxLength", 0) for option in options]
            prop.update({"type": "string", "maxLength": max(lengths)})


#: Free-text query parameters cannot carry NUL characters (the database refuses them; the
#: server answers 400): say so wherever the schema has no stricter pattern, enum or format.
NO_NUL_PATTERN = r"^[^\x00]*$"


#: The WSGI server (gunicorn) refuses a request line over 4,094 bytes before the app sees it.
URI_TOO_LONG = {
    "description": "Endereço longo demais (linha da requisição acima de 4.094 bytes); resposta "
    "do servidor HTTP, em HTML."
}


def _no_nul_in_free_text(parameter: dict[str, Any]) -> None:
    schema = parameter.get("schema")
    if parameter.get("in") != "query" or not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"pattern", "enum", "format"} & set(schema):
        schema["pattern"] = NO_NUL_PATTERN


def contract_details(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook:

    * form-encoded and multipart bodies point to a ``...Form`` variant of the JSON component
      without ``null`` (see ``_without_null``);
    * operations that reject unknown query parameters say so.
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for name, component in components.items():
        if not name.endswith(("Request", "RequestForm")):
            _drop_input_patterns(component)
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict):
                continue
            content = (operation.get("requestBody") or {}).get("content", {})
            for media_type in FORM_MEDIA_TYPES:
                reference = content.get(media_type, {}).get("schema", {}).get("$ref", "")
                name = reference.rsplit("/", 1)[-1]
                if name in components:
                    form_name = f"{name}Form"
                    components.setdefault(form_name, _without_null(components[name]))
                    content[media_type]["schema"] = {"$ref": f"#/components/schemas/{form_name}"}
            for parameter in operation.get("parameters", []):
                _no_nul_in_free_text(parameter)
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                operation.setdefault("responses", {}).setdefault("414", URI_TOO_LONG)
                description = operation.get("description", "")
                if STRICT_QUERY_NOTE not in description:
                    operation["description"] = f"{description}\n\n{STRICT_QUERY_NOTE}".strip()
    return result


def bearer_first(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Swagger's Authorize dialog lists the schemes in this order: the JWT one first (a token
    pasted in the cookie box gave a misleading 401)."""
    schemes = result.get("components", {}).get("securitySchemes")
    if schemes:
        bearer = {k: v for k, v in schemes.items() if v.get("scheme") == "bearer"}
        result["components"]["securitySchemes"] = {**bearer, **schemes}
    return result


def lib_doc_excludes() -> list[type]:
    """drf-spectacular's barrier classes (``GET_LIB_DOC_EXCLUDES``) plus the project's own
    serializer bases: a component without a docstring of its own is not described by a base's
    implementation notes (how representations are compiled, how text fields are checked)."""
    from drf_spectacular.plumbing import get_lib_doc_excludes

    from core.api.compiled import CompiledReadMixin
    from core.api.fields import StrictModelSerializer

    return [*get_lib_doc_excludes(), CompiledReadMixin, StrictModelSerializer]  # type: ignore[no-untyped-call]
