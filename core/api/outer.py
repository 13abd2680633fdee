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

Without an ``Origin``, what those hooks add to an answer depends on a few facts of the
request and on the headers already set (``OuterStandIn.finish_key``): it is computed once
per such key and copied onto the next answers.

A served answer is a ``ServedResponse``: closing it does the work of Django's own receivers
of ``request_finished`` without dispatching the signal (``finished_quietly``).

``stand_in_check`` finds which of ``OUTER`` follow the fast paths (development and tests
drop WhiteNoise; a stand-in does only the work of the ones present) and refuses a list where
another middleware comes between them, or where they are out of ``OUTER``'s order (it would
be skipped, or its work done in another order): the fast paths then serve nothing. The
parity tests compare every served answer's status, headers and body with the whole stack's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Sequence
from typing import Any

from corsheaders.middleware import CorsMiddleware
from django.conf import settings
from django.core.cache import caches, close_caches
from django.core.cache.backends.base import BaseCache
from django.core.handlers import base as handlers_base
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.http import HttpRequest, HttpResponse
from django.middleware.security import SecurityMiddleware
from django.utils.cache import patch_vary_headers

from core.middleware import API_PREFIX, security_headers_add
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


#: Keys remembered by ``OuterStandIn.finish`` (a handful in practice: one per scheme and kind
#: of answer); past it, answers of new keys run the hooks every time.
FINISHED_KEYS_MAX = 256


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
        #: ``finish_key`` → the headers the hooks added (name in lower case, (name, value)).
        self._added: dict[Hashable, tuple[tuple[str, tuple[str, str]], ...]] = {}

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
        """The served answer as it leaves the outer middleware (innermost first).

        Without an ``Origin`` the headers the hooks add depend only on ``finish_key``: the
        first answer of a key runs them, the next ones get the headers they added (a twelfth
        of a fast detail's CPU was spent adding the same headers again)."""
        if request.META.get("HTTP_ORIGIN"):
            response = self._hooks(request, response)
        else:
            store = response.headers._store
            key = self.finish_key(request, store)
            added = self._added.get(key)
            if added is None:
                before = dict(store)
                response = self._hooks(request, response)
                added = tuple(item for item in store.items() if before.get(item[0]) != item[1])
                if len(self._added) < FINISHED_KEYS_MAX:
                    self._added[key] = added
            else:
                store.update(added)
        if self.request_id:
            response[REQUEST_ID_HEADER] = request.request_id  # type: ignore[attr-defined]
        return response

    def finish_key(self, request: HttpRequest, store: dict[str, tuple[str, str]]) -> Hashable:
        """What the hooks read of a request without an ``Origin`` and of its answer: the
        scheme (HSTS), the path's prefixes (``/api/``, the admin's: the ``/api/`` headers
        and the CSP), whether CORS is on for the path (``Vary: origin``), and the headers
        already set (each hook adds a header only where there is none) but the length."""
        path = request.path_info
        return (
            request.is_secure(),
            path.startswith(API_PREFIX),
            path.startswith(f"/{settings.ADMIN_URL}"),
            self.cors is not None and self.cors.is_enabled(request),
            tuple(item for name, item in store.items() if name != "content-length"),
        )

    def _hooks(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
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
        return response


#: The lookup keys of Django's own receivers of ``request_finished``.
CLOSE_OLD_CONNECTIONS = (id(close_old_connections), id(None))
RESET_URLCONF = (id(handlers_base.reset_urlconf), id(None))
DJANGOS_OWN_FINISHERS = frozenset(
    {CLOSE_OLD_CONNECTIONS, RESET_URLCONF, (id(close_caches), id(None))}
)
#: The last ``settings.CACHES`` seen (held: compared by identity) and whether every cache's
#: ``close`` is ``BaseCache``'s no-op.
_closes_nothing: tuple[Any, bool] = (None, False)


def finished_quietly() -> bool:
    """Do what ``request_finished``'s receivers would do, without sending it, if they are
    Django's own (each one's work if it is connected: the test client disconnects
    ``close_old_connections``) and there is one database: close the connection if it is
    past ``CONN_MAX_AGE`` or unusable (``close_old_connections``), forget the thread's
    URLconf (``reset_urlconf``); the caches' ``close`` is a no-op for every configured
    backend (``close_caches``), Redis's included. False (nothing done) otherwise: the
    caller sends the signal."""
    connected = {key for key, *_rest in request_finished.receivers}
    if connected - DJANGOS_OWN_FINISHERS:
        return False
    if len(settings.DATABASES) != 1:
        return False
    global _closes_nothing
    configured = settings.CACHES
    seen, quiet = _closes_nothing
    if seen is not configured:
        quiet = all(type(caches[alias]).close is BaseCache.close for alias in configured)
        _closes_nothing = (configured, quiet)
    if not quiet:
        return False
    if CLOSE_OLD_CONNECTIONS in connected:
        connections[DEFAULT_DB_ALIAS].close_if_unusable_or_obsolete()
    if RESET_URLCONF in connected:
        handlers_base.reset_urlconf(sender=None)
    return True


class ServedResponse(HttpResponse):
    """An answer a fast path serves. ``close`` (called by the server once it is sent) sends
    ``request_finished`` only when receivers other than Django's own listen
    (``finished_quietly``): dispatching the signal cost more than its receivers' work, which
    is done directly (a twentieth of a fast detail's CPU)."""

    @classmethod
    def json(cls, body: bytes, headers: dict[str, str]) -> ServedResponse:
        """A served JSON answer: ``body`` with the view's ``headers`` and its length."""
        response = cls(body, content_type="application/json")
        for name, value in headers.items():
            response[name] = value
        response["Content-Length"] = str(len(body))
        return response

    def close(self) -> None:
        if not finished_quietly():
            super().close()
            return
        closers: list[Any] = self._resource_closers  # type: ignore[attr-defined]
        for closer in closers:
            with contextlib.suppress(Exception):  # as HttpResponseBase.close
                closer()
        closers.clear()
        self.closed = True
