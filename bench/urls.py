"""URLs of benchmark runs: the product's, plus the floor under ``/floor/``.

Only ``core.settings.bench`` points ``ROOT_URLCONF`` here; ``core.urls`` never includes the
floor (a test asserts it).
"""

from django.urls import URLPattern, URLResolver, include, path

from core.urls import urlpatterns as product_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    path("floor/", include("bench.floor")),
    *product_urlpatterns,
]

handler404 = "core.views.not_found"
handler500 = "core.views.internal_error"
