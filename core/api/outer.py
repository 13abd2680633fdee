"""What the outer middleware does to the answers the fast paths serve, done by the fast paths.

The fast paths (``core.api.fastread``, ``payments.fast_webhook``) come first in
``MIDDLEWARE``: an answer they serve skips the chain below them, the outer middleware
included (``OUTER``: a tenth of a fast read's CPU was spent walking it). They do its work
themselves, with the middleware's own code where it has a hook:

* ``RequestIdMiddleware``: the request's id set before serving (``request_id_begin``: the
  log records of the request carry it) and returned in ``X-Request-ID``;
* ``SecurityMiddleware``: its ``process_request`` (a request it would redirect to HTTPS is
  not served here) and its ``process_response`` (HSTS, ``nosniff``, referrer and opener
  policies);
* ``SecurityHeadersMiddleware``: ``security_headers_add`` (``Cache-Control``, the CSP);
* ``CorsMiddleware``: its ``add_response_headers`` for a request with an ``Origin`` (its
  preflight, an ``OPTIONS``, stays the whole stack's); without one, what that hook then
  does: ``Vary: origin`` on a path its ``CORS_URLS_REGEX`` enables;
* ``ApiJsonErrorsMiddleware``, ``ApiTrailingSlashMiddleware`` and WhiteNoise change nothing in
  a 200 under ``/api/`` whose path ends with a slash.

``stand_in_check`` finds which of ``OUTER`` follow the fast paths (development and tests
drop WhiteNoise; a stand-in does only the work of the ones present) and refuses a list where
another middleware comes between them, or where they are out of ``OUTER``'s order (it would
be skipped, or its work done in another order): the fast paths then serve nothing. The
parity tests compare every served answer's status, headers and body with the whole stack's.
"""

from __future__ import annotations

from collections.abc import Sequence

from corsheaders.middleware import CorsMiddleware
from django.http import HttpRequest, HttpResponse
from django.middleware.security import SecurityMiddleware
from django.utils.cache import patch_vary_headers

from core.middleware import security_headers_add
from core.observability.request_id import HEADER as REQUEST_ID_HEADER
from core.observability.request_id import request_id_begin

#: The fast paths, first in ``MIDDLEWARE``.
FAST = ("core.api.fastread.FastReadMiddleware", "payments.fast_webhook.FastWebhookMiddleware")
REQUEST_ID = "core.observability.request_id.RequestIdMiddleware"
SECURITY = "django.middleware.security.SecurityMiddleware"
SECURITY_HEADERS = "core.middleware.SecurityHeadersMiddleware"
CORS = "corsheaders.middleware.CorsMiddleware"
#: The middleware right after them whose work on a served answer they do themselves, in the
#: settings' order (the three without a hook change nothing in a served answer).
OUTER = (
    REQUEST_ID,
    SECURITY,
    "core.middleware.ApiJsonErrorsMiddleware",
    "core.middleware.ApiTrailingSlashMiddleware",
    SECURITY_HEADERS,
    "whitenoise.middleware.WhiteNoiseMiddleware",
    CORS,
)


class StandInRefused(Exception):
    """The middleware list is not the one the fast paths stand in for."""


def stand_in_check(middleware: Sequence[str], own: str) -> tuple[str, ...]:
    """The middleware of ``OUTER`` that follow ``own`` (past the other fast paths), in a run
    and in ``OUTER``'s order; ``StandInRefused`` otherwise."""
    if own not in middleware:
        raise StandInRefused(f"{own} is not in MIDDLEWARE")
    after = [name for name in middleware[middleware.index(own) + 1 :] if name not in FAST]
    run: list[str] = []
    for name in after:
        if name not in OUTER:
            break
        run.append(name)
    stray = [name for name in after[len(run) :] if name in OUTER]
    if stray:
        raise StandInRefused(f"another middleware comes before {', '.join(stray)}")
    if run != [name for name in OUTER if name in run]:
        raise StandInRefused(f"the outer middleware is not in this order: {', '.join(OUTER)}")
    return tuple(run)


def _unused(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    raise AssertionError("only the hooks of these middleware are called")


class OuterStandIn:
    """The work on a served answer of the outer middleware ``present`` (see the module's
    docstring)."""

    def __init__(self, present: Sequence[str]) -> None:
        self.request_id = REQUEST_ID in present
        self.security = SecurityMiddleware(_unused) if SECURITY in present else None
        self.security_headers = SECURITY_HEADERS in present
        self.cors = CorsMiddleware(_unused) if CORS in present else None

    def begin(self, request: HttpRequest) -> HttpResponse | None:
        """The request's id set; the answer ``SecurityMiddleware`` would give before anything
        else (an HTTPS redirect), or None."""
        if self.request_id:
            request_id_begin(request)
        if self.security is None:
            return None
        answer: HttpResponse | None = self.security.process_request(request)
        return answer

    def finish(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """The served answer as it leaves the outer middleware (innermost first)."""
        if self.cors is not None:
            if request.META.get("HTTP_ORIGIN"):
                self.cors.add_response_headers(request, response)
            elif self.cors.is_enabled(request):
                # All add_response_headers does without an Origin, minus building
                # request.headers from every META key to look for one.
                patch_vary_headers(response, ("origin",))
        if self.security_headers:
            security_headers_add(request, response)
        if self.security is not None:
            self.security.process_response(request, response)
        if self.request_id:
            response[REQUEST_ID_HEADER] = request.request_id  # type: ignore[attr-defined]
        return response
