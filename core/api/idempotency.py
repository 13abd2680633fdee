"""Idempotent writes: the ``Idempotency-Key`` request header.

A client that got no answer (the connection dropped after the commit) repeats the request with
the same key and gets the first answer again, with no second effect. Rules:

* same user + key + same request (method, path and JSON body, key order and whitespace
  ignored; an empty body counts as ``{}``) within ``IDEMPOTENCY_KEY_TTL_HOURS`` → the stored
  status and body, with the response header ``Idempotent-Replayed: true``;
* the same key with another body or on another endpoint → 422;
* the same key while the first request is still running → 409 at once, with ``Retry-After``
  (no waiting: the first request may be talking to Asaas, and no lock is held across that);
* keys belong to a user (two users may use the same key); 1–255 characters among
  ``A-Z a-z 0-9 - _ . :`` (anything else → 400);
* stored answers: 2xx and the deterministic 4xx (``STORED_CLIENT_ERRORS``, unless caused
  by an error marked ``retryable``, such as Asaas being unreachable). A 5xx or an
  unhandled error is not stored: the key is released and a repeat runs the request again
  (the services are safe to repeat: a booking repeated after a 5xx that had in fact been
  saved gets the slot's 409);
* a request killed before its answer was recorded (the process died) leaves its key
  "in progress": the key answers 409 until it expires, because whether the effect happened
  is unknown; the client checks the resource before using another key.

Usage: ``@idempotent`` on a view handler (a viewset action). On ``@action`` methods it goes
between ``@extend_schema`` and ``@action`` (it must see the action's attributes to declare
the header in the OpenAPI schema). ``idempotency_schema_hook`` documents the 409/422 answers
on every operation that declares the header.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,255}")
# 4xx answers that depend only on the request and the data: replayed like a success.
# Not stored: 401/403/429 (credentials, permissions and rates change) and every 5xx.
STORED_CLIENT_ERRORS = frozenset({400, 404, 409, 410, 422})

Handler = TypeVar("Handler", bound=Callable[..., Response])

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": f"^{KEY_PATTERN.pattern}$"},
    OpenApiParameter.HEADER,
    required=False,
    description=gettext_lazy(
        "Chave única escolhida pelo cliente (ex.: um UUID) para repetir a requisição com "
        "segurança: por 24 h, a mesma chave com o mesmo corpo devolve a mesma resposta sem "
        "novo efeito; com outro corpo, 422; enquanto a primeira ainda roda, 409. "
        "De 1 a 255 caracteres: letras, dígitos, '-', '_', '.' ou ':'."
    ),
)


# --- services ---------------------------------------------------------------------------------


def idempotency_key_ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def idempotency_key_claim(
    *, user_id: int, key: str, method: str, path: str, fingerprint: str
) -> tuple[IdempotencyKey, bool]:
    """Take the key for this request (committed at once, so a concurrent request with the same
    key sees it), or return the row that already holds it. Returns ``(row, created)``."""
    for _attempt in range(3):
        now = timezone.now()
        # An expired key is free again even if the purge has not run yet.
        IdempotencyKey.objects.filter(
            user_id=user_id, key=key, created_at__lt=now - idempotency_key_ttl()
        ).delete()
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user_id=user_id,
                    key=key,
                    method=method,
                    path=path[:255],
                    fingerprint=fingerprint,
                    created_at=now,
                )
            return row, True
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
            if existing is not None:
                return existing, False
            # Released between our insert and our read: try again.
    raise RuntimeError("idempotency key claim did not settle")  # pragma: no cover


def idempotency_key_complete(*, key_id: int, status_code: int, body: Any) -> None:
    IdempotencyKey.objects.filter(pk=key_id).update(
        response_status=status_code, response_body=body, completed_at=timezone.now()
    )


def idempotency_key_release(*, key_id: int) -> None:
    """Forget a key whose request ended without an answer worth replaying."""
    IdempotencyKey.objects.filter(pk=key_id, response_status__isnull=True).delete()


def idempotency_keys_purge(*, older_than: timedelta | None = None) -> int:
    """Delete keys older than the TTL (or ``older_than``); returns how many."""
    cutoff = timezone.now() - (older_than if older_than is not None else idempotency_key_ttl())
    deleted, _per_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- the request side -------------------------------------------------------------------------


def request_fingerprint(request: Request) -> str:
    """SHA-256 of method, path and body (canonical JSON when the body is JSON)."""
    try:
        body: bytes = request._request.body
    except RawPostDataException:  # already streamed by a parser: use what it parsed
        body = json.dumps(request.data, cls=JSONEncoder).encode()
    # Not JSON: the raw bytes (the view answers 400 for such a body anyway).
    canonical = body if body.strip() else b"{}"
    with contextlib.suppress(ValueError, RecursionError):
        canonical = json.dumps(
            json.loads(canonical), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    digest = hashlib.sha256()
    for part in (str(request.method).encode(), request.path.encode(), canonical):
        digest.update(part)
        digest.update(b"\n")
    return digest.hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    assert row.response_status is not None
    return Response(
        row.response_body, status=row.response_status, headers={REPLAYED_HEADER: "true"}
    )


def _stored_body(data: Any) -> Any:
    """The response data as plain JSON (Decimals and dates as the renderer writes them)."""
    return json.loads(json.dumps(data, cls=JSONEncoder))


def _is_stored(status_code: int) -> bool:
    return 200 <= status_code < 300 or status_code in STORED_CLIENT_ERRORS


def _is_transient(error: BaseException | None) -> bool:
    """An error caused by one that says "retry may succeed" (``retryable = True``, e.g. Asaas
    unreachable behind a 400 of a service) is not an answer to replay."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if getattr(error, "retryable", False) is True:
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def idempotent(handler: Handler) -> Handler:
    """Make a view handler honour the ``Idempotency-Key`` header (see the module docstring)."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw = request.headers.get(HEADER)
        if raw is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        if not KEY_PATTERN.fullmatch(raw):
            raise ValidationError(
                {
                    HEADER: [
                        _(
                            "Use de 1 a 255 caracteres: letras, dígitos, '-', '_', '.' ou ':' "
                            "(por exemplo, um UUID)."
                        )
                    ]
                }
            )
        assert request.method is not None
        fingerprint = request_fingerprint(request)
        row, created = idempotency_key_claim(
            user_id=request.user.pk,
            key=raw,
            method=request.method,
            path=request.path,
            fingerprint=fingerprint,
        )
        if not created:
            return _answer_for_existing(row, fingerprint=fingerprint)
        error: Exception | None = None
        try:
            try:
                response = handler(view, request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - DRF turns it into the answer (or re-raises)
                error = exc
                response = view.handle_exception(exc)
        except BaseException:
            idempotency_key_release(key_id=row.pk)
            raise
        if _is_stored(response.status_code) and not _is_transient(error):
            idempotency_key_complete(
                key_id=row.pk, status_code=response.status_code, body=_stored_body(response.data)
            )
        else:
            idempotency_key_release(key_id=row.pk)
        return response

    return extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER])(wrapper)  # type: ignore[return-value]


def _answer_for_existing(row: IdempotencyKey, *, fingerprint: str) -> Response:
    if row.fingerprint != fingerprint:
        return Response(
            {
                "detail": _(
                    "Esta Idempotency-Key já foi usada com outra requisição (corpo ou endpoint "
                    "diferente). Use uma chave nova para uma nova operação."
                )
            },
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if row.response_status is None:
        return Response(
            {
                "detail": _(
                    "Uma requisição com esta Idempotency-Key ainda está em andamento. Aguarde "
                    "e repita a mesma requisição para receber a resposta."
                )
            },
            status=status.HTTP_409_CONFLICT,
            headers={"Retry-After": "1"},
        )
    return _replay(row)


# --- OpenAPI ----------------------------------------------------------------------------------


def idempotency_schema_hook(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: on operations that take ``Idempotency-Key``,
    document the 409 (same key still running), the 422 (key reused with another request) and
    the ``Idempotent-Replayed`` header of replayed answers."""
    detail = {"application/json": {"schema": {"$ref": "#/components/schemas/DetailError"}}}
    replayed = {
        REPLAYED_HEADER: {
            "schema": {"type": "string", "enum": ["true"]},
            "description": str(
                _("Presente quando a resposta é a repetição guardada de uma Idempotency-Key.")
            ),
        }
    }
    in_progress = str(_("Idempotency-Key: a primeira requisição com esta chave ainda roda."))
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict):
                continue
            parameters = operation.get("parameters") or []
            if not any(p.get("in") == "header" and p.get("name") == HEADER for p in parameters):
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "422",
                {
                    "description": str(
                        _("Idempotency-Key já usada com outro corpo ou em outro endpoint.")
                    ),
                    "content": detail,
                },
            )
            if "409" in responses:
                responses["409"]["description"] += f" {in_progress}"
            else:
                responses["409"] = {"description": in_progress, "content": detail}
            for code, response in responses.items():
                if code.startswith("2"):
                    response.setdefault("headers", {}).update(replayed)
    return result
