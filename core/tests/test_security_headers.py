"""Cache-Control: no-store on tokens and personal data; a Content-Security-Policy on the admin
and the docs that still lets Swagger UI and ReDoc run from this site's own files (offline)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.middleware import CONTENT_SECURITY_POLICY
from core.tests.access_fixtures import PASSWORD, make_user
from core.tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db


def test_token_responses_are_not_cached() -> None:
    make_user("cache", is_staff=True)

    response = APIClient().post(
        "/api/auth/token/", {"username": "cache", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path", ["/api/patients/", "/api/professionals/{id}/", "/api/appointments/", "/api/nada/"]
)
def test_personal_data_responses_are_not_cached(api_client: APIClient, path: str) -> None:
    professional = ProfessionalFactory.create()

    response = api_client.get(path.format(id=professional.pk))

    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


def test_errors_are_not_cached_either(anon_client: APIClient) -> None:
    assert anon_client.get("/api/patients/")["Cache-Control"] == "no-store"


def script_sources(html: str) -> tuple[list[str], list[str]]:
    """(src of every <script src>, bodies of inline <script> that would execute)."""
    sources = re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", html)
    inline = [
        body
        for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        if "src=" not in attrs and "application/json" not in attrs and body.strip()
    ]
    return sources, inline


def assert_local_asset(url: str) -> None:
    parts = urlsplit(url)
    assert not parts.scheme, f"{url} is not on this site"
    assert not parts.netloc, f"{url} is not on this site"
    path = parts.path
    if path.startswith("/static/"):
        assert finders.find(path.removeprefix("/static/")), f"{path} is not a static file"


@pytest.mark.parametrize("name", ["swagger-ui", "redoc"])
def test_docs_have_a_csp_and_run_only_local_scripts(
    name: str, settings: Any, api_client: APIClient
) -> None:
    settings.API_DOCS_PUBLIC = True
    client = Client()

    response = client.get(reverse(name))

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    html = response.content.decode()
    sources, inline = script_sources(html)
    assert inline == []  # the CSP would block them
    assert sources
    for url in sources:
        assert_local_asset(url)
    for href in re.findall(r"<link[^>]*href=\"([^\"]+)\"", html):
        assert_local_asset(href)


def test_swagger_start_up_script_is_served_by_the_site(settings: Any) -> None:
    settings.API_DOCS_PUBLIC = True
    client = Client()
    html = client.get(reverse("swagger-ui")).content.decode()
    (script_url,) = [url for url in script_sources(html)[0] if "script" in url]

    script = client.get(script_url.replace("&amp;", "&"))

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert "/api/schema/" in script.content.decode()


def test_admin_pages_have_the_csp_and_no_inline_scripts() -> None:
    user = make_user("csp-admin", is_staff=True, is_superuser=True)
    client = Client()
    login = client.get(reverse("admin:login"))
    client.force_login(user)
    index = client.get(reverse("admin:index"))

    for response in (login, index):
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert script_sources(response.content.decode())[1] == []
