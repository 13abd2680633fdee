"""Every URL pattern of the project, called anonymously.

The patterns are enumerated from the resolver, so an endpoint added later is tested too: under
``/api/`` it must refuse anonymous callers (401 with the ``{"detail": ...}`` body) on every
method unless it is on the explicit allow-list below; under the admin prefix it must send them
to the login page; anywhere else it must be classified here, or the test fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from core.tests.access_fixtures import (
    Route,
    World,
    all_routes,
    build_world,
    concrete_path,
    model_id,
)

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete", "head", "options")

#: ``/api/`` endpoints that anonymous callers may reach (each with its own check below).
TOKEN_ENDPOINTS = {"token-obtain", "token-refresh", "token-verify", "token-logout"}
WEBHOOK = "asaas-webhook"
DOCS = {"schema", "swagger-ui", "redoc"}
#: The secret token in the path is the credential (calendar apps cannot log in).
CALENDAR_FEED = "calendar-feed"
API_ALLOW_LIST = TOKEN_ENDPOINTS | {WEBHOOK, CALENDAR_FEED} | DOCS
#: Outside ``/api/`` and the admin: every page, by URL name.
OTHER_PAGES = {"health", "health-ready", "redoc-bundle", "favicon"}

ROUTES = all_routes()


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def assert_refused(response: Any, method: str, path: str) -> None:
    where = f"{method.upper()} {path}"
    assert response.status_code == 401, f"{where} answered {response.status_code}"
    assert response["WWW-Authenticate"].startswith("Bearer"), where
    if method != "head":
        assert set(response.json()) == {"detail"}, where
        assert response.json()["detail"]


def check_protected_api(client: APIClient, path: str) -> None:
    for method in METHODS:
        response = getattr(client, method)(path, {}, format="json")
        assert_refused(response, method, path)


def check_token_endpoint(client: APIClient, route: Route, path: str) -> None:
    bad: dict[str, dict[str, str]] = {
        "token-obtain": {"username": "ninguem", "password": "errada"},
        "token-refresh": {"refresh": "nao.e.um.token"},
        "token-verify": {"token": "nao.e.um.token"},
        "token-logout": {"refresh": "nao.e.um.token"},
    }
    empty = client.post(path, {}, format="json")
    wrong = client.post(path, bad[route.name or ""], format="json")
    read = client.get(path)

    assert empty.status_code == 400
    assert wrong.status_code == 401
    assert set(wrong.json()) == {"detail"}
    assert read.status_code == 405
    for response in (empty, wrong, read):  # error messages only, never a token
        body = response.json()
        assert not isinstance(body.get("access"), str)
        assert not isinstance(body.get("refresh"), str)


def check_webhook(client: APIClient, path: str) -> None:
    missing = client.post(path, {"event": "PAYMENT_RECEIVED"}, format="json")
    wrong = client.post(
        path, {"event": "PAYMENT_RECEIVED"}, format="json", HTTP_ASAAS_ACCESS_TOKEN="errado"
    )
    read = client.get(path)

    for response in (missing, wrong):
        assert response.status_code == 401
        assert set(response.json()) == {"detail"}
    assert read.status_code == 405


def check_calendar_feed(client: APIClient, path: str) -> None:
    unknown = client.get(path)
    write = client.post(path, {}, format="json")

    assert unknown.status_code == 404
    assert set(unknown.json()) == {"detail"}
    assert write.status_code == 405


def check_admin(client: APIClient, route: Route, path: str) -> None:
    login = reverse("admin:login")
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        if route.name == "login":
            assert response.status_code == 200, f"{method} {path}"
            continue
        assert response.status_code == 302, f"{method.upper()} {path}: {response.status_code}"
        if route.name == "logout":  # Django sends an anonymous logout to the admin index
            assert response["Location"] == reverse("admin:index")
        else:
            assert response["Location"].startswith(f"{login}?next="), path


@pytest.mark.parametrize("route", ROUTES, ids=[route.pattern for route in ROUTES])
def test_anonymous_access(route: Route, world: World, anon_client: APIClient) -> None:
    path = concrete_path(route, model_id(world, route))

    if path.startswith("/api/"):
        if route.name in TOKEN_ENDPOINTS:
            check_token_endpoint(anon_client, route, path)
        elif route.name == WEBHOOK:
            check_webhook(anon_client, path)
        elif route.name == CALENDAR_FEED:
            check_calendar_feed(anon_client, path)
        elif route.name in DOCS:
            pass  # test_docs_follow_the_setting, both ways
        else:
            check_protected_api(anon_client, path)
    elif path.startswith("/" + settings.ADMIN_URL):
        check_admin(anon_client, route, path)
    elif route.name == "health":
        response = anon_client.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "environment": "testing"}
    elif route.name == "health-ready":
        # Public for probes: statuses and generic details only (payments/tests/test_health.py).
        response = anon_client.get(path)
        assert response.status_code in (200, 503)
        assert set(response.json()) == {"status", "checks"}
    elif route.name == "favicon":
        response = anon_client.get(path)
        assert response.status_code == 302
        assert response["Location"].endswith("/core/favicon.svg")
    elif route.name == "redoc-bundle":
        # A static asset (ReDoc's public bundle), like the files under /static/.
        response = anon_client.get(path)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/javascript"
    else:
        pytest.fail(f"unclassified URL {route.pattern!r} (name {route.name!r}): decide its access")


@pytest.mark.parametrize("public", [True, False])
@pytest.mark.parametrize("name", sorted(DOCS))
def test_docs_follow_the_setting(
    name: str, public: bool, settings: Any, anon_client: APIClient, api_client: APIClient
) -> None:
    settings.API_DOCS_PUBLIC = public
    path = reverse(name)
    query = {"format": "json"} if name == "schema" else {}

    anonymous = anon_client.get(path, query)
    staff = api_client.get(path, query)

    assert staff.status_code == 200
    if public:
        assert anonymous.status_code == 200
    else:
        # 401, not 403: JWT is the first authenticator, so DRF answers "not authenticated"
        # with a Bearer challenge.
        assert anonymous.status_code == 401
        assert anonymous["WWW-Authenticate"].startswith("Bearer")
        if name == "schema":  # the two pages render their error as HTML
            assert set(anonymous.json()) == {"detail"}


def test_the_classification_is_complete_and_current() -> None:
    """The allow-lists name only URLs that exist, and the walk found the API."""
    names = {route.name for route in ROUTES}
    api = [route for route in ROUTES if route.pattern.startswith("api/")]

    assert names >= API_ALLOW_LIST | OTHER_PAGES
    assert {"professional-list", "appointment-detail", "patient-detail"} <= names
    assert {"appointment-payment-refund", "payment-metrics"} <= names
    assert len(api) >= 20
    assert not [
        route.pattern
        for route in ROUTES
        if not route.pattern.startswith(("api/", settings.ADMIN_URL))
        and route.name not in OTHER_PAGES
    ]
