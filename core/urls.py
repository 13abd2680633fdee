from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from . import views
from .admin_login import throttle_admin_login
from .api.auth import (
    LogoutView,
    TokenObtainView,
    TokenRefreshThrottledView,
    TokenVerifyThrottledView,
)
from .api.docs import redoc_bundle
from .api.permissions import DocsPermission
from .observability import health

docs = {"permission_classes": [DocsPermission]}

api_patterns: list[URLPattern | URLResolver] = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshThrottledView.as_view(), name="token-refresh"),
    path("auth/token/verify/", TokenVerifyThrottledView.as_view(), name="token-verify"),
    path("auth/logout/", LogoutView.as_view(), name="token-logout"),
    path("", include("professionals.urls")),
    path("", include("appointments.urls")),
    path("", include("payments.urls")),
    path("schema/", SpectacularAPIView.as_view(**docs), name="schema"),
    # Split view: Swagger UI's start-up script is a file of its own (no inline script: CSP).
    path(
        "docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", **docs), name="swagger-ui"
    ),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema", **docs), name="redoc"),
]

throttle_admin_login(admin.site)

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/", include(api_patterns)),
    path("health/", health.liveness, name="health"),
    path("health/ready/", health.ReadinessView.as_view(), name="health-ready"),
    # Browsers ask for it on every page without a <link rel="icon"> (admin, ReDoc).
    path("favicon.ico", views.favicon, name="favicon"),
    # ReDoc's bundle with a local footer logo (see core/api/docs.py and REDOC_DIST).
    path("docs-assets/redoc/bundles/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),
]

handler404 = "core.views.not_found"
handler500 = "core.views.internal_error"
