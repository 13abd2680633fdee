"""The admin login behind the same throttle as the API token endpoint (scope "auth").

Every POST to the login form counts, per client IP and per submitted username: past the
``auth`` rate (``THROTTLE_AUTH_RATE``, 10/minute by default) the form answers 429 — even to the
right password — until the window passes, so guessing a staff password is as slow here as on
``/api/auth/token/``. Counters live in the shared cache (Redis in production).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from rest_framework.throttling import SimpleRateThrottle


class AdminLoginIPThrottle(SimpleRateThrottle):
    scope = "auth"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": "admin_login_ip", "ident": self.get_ident(request)}


class AdminLoginUsernameThrottle(SimpleRateThrottle):
    scope = "auth"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        username = str(request.POST.get("username", "")).strip().lower()
        if not username:
            return None
        digest = hashlib.sha256(username.encode()).hexdigest()[:32]  # no username in the cache
        return self.cache_format % {"scope": "admin_login_user", "ident": digest}


def _throttled(wait: float | None) -> HttpResponse:
    seconds = max(1, int(wait or 60))
    message = _("Muitas tentativas de login. Aguarde %(seconds)d segundos e tente de novo.") % {
        "seconds": seconds
    }
    response = HttpResponse(
        f"<!doctype html><html lang='pt-br'><title>429</title><p>{escape(message)}</p></html>",
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def throttle_admin_login(site: AdminSite) -> None:
    """Wrap ``site.login`` (before ``site.urls`` is read): the ``admin:login`` URL keeps its
    name and path, behind the throttle."""
    original = site.login

    @never_cache
    def login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "POST":
            for throttle in (AdminLoginIPThrottle(), AdminLoginUsernameThrottle()):
                if not throttle.allow_request(request, None):  # type: ignore[arg-type]
                    return _throttled(throttle.wait())
        return original(request, extra_context)

    site.login = login  # type: ignore[method-assign]
