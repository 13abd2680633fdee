"""WSGI entry point of benchmark runs (``gunicorn bench.wsgi:application``).

The product's requests go through Django's whole stack (middleware and all). Requests under
``/floor/`` are resolved and answered directly, without middleware and without the
request-started/finished signals: the floor is a bare view.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.bench")

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponseNotFound
from django.urls import Resolver404, URLResolver, get_resolver

FLOOR_PREFIX = "/floor/"
StartResponse = Callable[..., Any]


class BenchHandler:
    def __init__(self, django: WSGIHandler) -> None:
        self.django = django
        self.floor: URLResolver = get_resolver("bench.floor")

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(FLOOR_PREFIX):
            return self.django(environ, start_response)
        request = WSGIRequest(environ)
        try:
            match = self.floor.resolve(path[len(FLOOR_PREFIX) - 1 :])
        except Resolver404:
            response = HttpResponseNotFound()
        else:
            response = match.func(request, *match.args, **match.kwargs)
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return [response.content]


application = BenchHandler(get_wsgi_application())
