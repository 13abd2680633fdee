"""Documentation assets served by the app itself: no docs page makes an external request.

ReDoc's bundle renders a footer logo from Redocly's CDN (a hard-coded image URL); it is served
here with that URL pointing at a local file. The bundle comes from drf-spectacular-sidecar.
"""

from __future__ import annotations

from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.views.decorators.http import require_GET

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
LOCAL_LOGO = "core/docs/redoc-logo-mini.svg"


@cache
def redoc_bundle_source() -> bytes:
    path = finders.find(REDOC_BUNDLE)
    if not isinstance(path, str):
        raise FileNotFoundError(REDOC_BUNDLE)
    with open(path, "rb") as bundle:
        source = bundle.read()
    # The bundle version may drop the logo one day: then there is nothing to replace.
    return source.replace(REDOC_CDN_LOGO.encode(), static(LOCAL_LOGO).encode())


@require_GET
def redoc_bundle(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(redoc_bundle_source(), content_type="application/javascript")
    response["Cache-Control"] = "public, max-age=86400"
    return response
