"""Project middleware for the API's edges.

* ``ApiTrailingSlashMiddleware``: ``/api/...`` routes answer with and without the trailing
  slash — the path is completed internally (no redirect, which a POST cannot follow).
* ``ApiJsonErrorsMiddleware``: every error under ``/api/`` that Django (not DRF) produced — 404
  for an unknown path, 400 for a body over the upload limit, also under DEBUG — becomes the
  standard ``{"detail": "..."}`` JSON error in Portuguese.
* ``SecurityHeadersMiddleware``: ``Cache-Control: no-store`` on every ``/api/`` answer (tokens
  and personal data must not stay in browser or proxy caches) and a Content-Security-Policy on
  the admin and the API docs (Swagger UI and ReDoc load only this site's files: they work
  offline).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import is_valid_path
from django.utils.translation import gettext as _
from rest_framework.response import Response

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class ApiTrailingSlashMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(API_PREFIX) and not path.endswith("/"):
            urlconf = getattr(request, "urlconf", None)
            if not is_valid_path(path, urlconf) and is_valid_path(f"{path}/", urlconf):
                request.path_info = f"{path}/"
                request.path = f"{request.path}/"
        return self.get_response(request)


def error_message(status: int) -> str:
    messages = {
        400: _("Requisição inválida."),
        404: _("Não encontrado."),
        405: _("Método não permitido."),
        413: _("O corpo da requisição é grande demais."),
    }
    return str(messages.get(status, _("Erro na requisição.")))


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            is_api(request)
            and response.status_code >= 400
            and not isinstance(response, Response)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status = response.status_code
            return JsonResponse({"detail": error_message(status)}, status=status)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api(request):
            return None
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse({"detail": error_message(413)}, status=413)
        if isinstance(exception, TooManyFieldsSent):
            return JsonResponse({"detail": error_message(400)}, status=400)
        return None


CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # Swagger UI and ReDoc (styled-components) and the admin set inline styles.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        # ReDoc's search runs in a worker built from a blob: URL.
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return security_headers_add(request, self.get_response(request))


def security_headers_add(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """``Cache-Control: no-store`` under /api/, the CSP on the API, the admin and the docs."""
    path = request.path_info
    if path.startswith(API_PREFIX):
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
    if path.startswith(API_PREFIX) or path.startswith(f"/{settings.ADMIN_URL}"):
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response
