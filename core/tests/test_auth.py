"""Authentication: JWT for API clients (obtain/refresh/verify, rotation with blacklist) and
session authentication for the admin and the browsable API (with CSRF on unsafe methods)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import jwt
import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from core.tests.access_fixtures import PASSWORD, make_user, new_cpf

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token/"
REFRESH = "/api/auth/token/refresh/"
VERIFY = "/api/auth/token/verify/"
PROTECTED = "/api/professionals/"


@pytest.fixture
def staff(db: None) -> Any:
    return make_user("operadora", is_staff=True)


def obtain(client: APIClient, username: str, password: str = PASSWORD) -> Any:
    return client.post(TOKEN, {"username": username, "password": password}, format="json")


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def assert_unauthorized(response: Any) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert set(response.json()) == {"detail"}


# --- JWT -------------------------------------------------------------------------------------


def test_password_gives_a_token_pair_that_authenticates(staff: Any) -> None:
    response = obtain(APIClient(), "operadora")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert bearer(body["access"]).get(PROTECTED).status_code == 200
    access, refresh = claims(body["access"]), claims(body["refresh"])
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh["exp"] - refresh["iat"] == 24 * 60 * 60
    assert str(access["user_id"]) == str(staff.pk)
    staff.refresh_from_db()
    assert staff.last_login is not None


@pytest.mark.parametrize(
    ("username", "password"), [("operadora", "senha-errada"), ("ninguem", PASSWORD)]
)
def test_bad_credentials_are_401_without_tokens(staff: Any, username: str, password: str) -> None:
    response = obtain(APIClient(), username, password)

    assert response.status_code == 401
    assert set(response.json()) == {"detail"}
    # The same answer whether or not the username exists (no account enumeration).
    assert response.json() == obtain(APIClient(), "ninguem-mesmo", "x").json()


def test_an_inactive_user_gets_no_token_and_loses_the_one_it_had(staff: Any) -> None:
    access = obtain(APIClient(), "operadora").json()["access"]
    staff.is_active = False
    staff.save()

    assert obtain(APIClient(), "operadora").status_code == 401
    assert_unauthorized(bearer(access).get(PROTECTED))


def test_no_credentials_is_401_with_a_bearer_challenge() -> None:
    assert_unauthorized(APIClient().get(PROTECTED))


def test_expired_token_is_401(staff: Any) -> None:
    token = AccessToken.for_user(staff)
    token.set_exp(from_time=timezone.now() - dt.timedelta(hours=1))

    assert_unauthorized(bearer(str(token)).get(PROTECTED))


def test_tampered_token_is_401(staff: Any) -> None:
    """Changing the payload (here: to impersonate another user) breaks the signature."""
    other = make_user("outra-pessoa", is_staff=True)
    header, payload, signature = str(AccessToken.for_user(staff)).split(".")
    data = claims(f"{header}.{payload}.x")
    data["user_id"] = str(other.pk)
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    assert_unauthorized(bearer(f"{header}.{forged}.{signature}").get(PROTECTED))


def test_token_signed_with_another_key_is_401(staff: Any) -> None:
    data = claims(str(AccessToken.for_user(staff)))
    forged = jwt.encode(data, "not-the-secret-key-of-this-server-0123456789", algorithm="HS256")

    assert_unauthorized(bearer(forged).get(PROTECTED))


def test_refresh_token_is_not_an_access_token(staff: Any) -> None:
    refresh = str(RefreshToken.for_user(staff))

    assert_unauthorized(bearer(refresh).get(PROTECTED))


def test_other_schemes_are_not_accepted(staff: Any) -> None:
    access = str(AccessToken.for_user(staff))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {access}")

    assert_unauthorized(client.get(PROTECTED))


def test_refresh_rotates_and_blacklists_the_old_refresh_token(staff: Any) -> None:
    client = APIClient()
    first = obtain(client, "operadora").json()

    rotated = client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    replay = client.post(REFRESH, {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200
    pair = rotated.json()
    assert set(pair) == {"access", "refresh"}
    assert pair["refresh"] != first["refresh"]
    assert bearer(pair["access"]).get(PROTECTED).status_code == 200
    assert replay.status_code == 401
    assert set(replay.json()) == {"detail"}
    again = client.post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert again.status_code == 200


def test_verify(staff: Any) -> None:
    client = APIClient()
    access = obtain(client, "operadora").json()["access"]
    expired = AccessToken.for_user(staff)
    expired.set_exp(from_time=timezone.now() - dt.timedelta(hours=1))

    valid = client.post(VERIFY, {"token": access}, format="json")
    invalid = client.post(VERIFY, {"token": access[:-4] + "AAAA"}, format="json")
    old = client.post(VERIFY, {"token": str(expired)}, format="json")
    missing = client.post(VERIFY, {}, format="json")

    assert valid.status_code == 200
    assert valid.json() == {}
    assert invalid.status_code == old.status_code == 401
    assert set(invalid.json()) == {"detail"}
    assert missing.status_code == 400
    assert "token" in missing.json()


# --- sessions (admin and browsable API) ------------------------------------------------------


def csrf_cookie(client: Client) -> str:
    """The CSRF cookie, as a browser gets it from any page with a form."""
    client.get(
        PROTECTED if client.session.get("_auth_user_id") else "/admin/login/",
        HTTP_ACCEPT="text/html",
    )
    return str(client.cookies["csrftoken"].value)


def test_session_authenticates_the_api_and_its_browsable_pages(staff: Any) -> None:
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="operadora", password=PASSWORD)

    data = client.get(PROTECTED)
    page = client.get(PROTECTED, HTTP_ACCEPT="text/html")

    assert data.status_code == 200
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert "operadora" in page.content.decode()


def test_unsafe_session_requests_need_the_csrf_token(staff: Any) -> None:
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="operadora", password=PASSWORD)
    body = {"name": "Paciente por Sessão", "cpf": new_cpf()}

    refused = client.post("/api/patients/", body, format="json")
    accepted = client.post(
        "/api/patients/", body, format="json", HTTP_X_CSRFTOKEN=csrf_cookie(client)
    )

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201


def test_bearer_requests_need_no_csrf_token(staff: Any) -> None:
    """CSRF protects cookie-based sessions; a bearer token is not sent by browsers on their own."""
    client = APIClient(enforce_csrf_checks=True)
    access = obtain(client, "operadora").json()["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    response = client.post(
        "/api/patients/", {"name": "Paciente por Token", "cpf": new_cpf()}, format="json"
    )

    assert response.status_code == 201


def test_admin_login_with_session(staff: Any) -> None:
    make_user("sem-equipe")
    client = Client(enforce_csrf_checks=True)
    token = csrf_cookie(client)

    refused = client.post(
        "/admin/login/",
        {"username": "sem-equipe", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert refused.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session
    no_csrf = Client(enforce_csrf_checks=True).post(
        "/admin/login/", {"username": "operadora", "password": PASSWORD}
    )
    logged = client.post(
        "/admin/login/?next=/admin/",
        {"username": "operadora", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert no_csrf.status_code == 403
    assert logged.status_code == 302
    assert logged["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
