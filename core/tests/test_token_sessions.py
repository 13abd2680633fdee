"""Token sessions: absolute lifetime, logout, revocation on password change and deactivation
(refresh, verify and the access token itself)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import jwt
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.tests.access_fixtures import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)  # revocation runs on commit

TOKEN = "/api/auth/token/"
REFRESH = "/api/auth/token/refresh/"
VERIFY = "/api/auth/token/verify/"
LOGOUT = "/api/auth/logout/"
PROTECTED = "/api/professionals/"


@pytest.fixture
def user() -> Any:
    return make_user("sessao", is_staff=True, is_superuser=True)


def login(username: str = "sessao") -> dict[str, str]:
    response = APIClient().post(TOKEN, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    pair: dict[str, str] = response.json()
    return pair


def post(path: str, body: dict[str, str]) -> Any:
    return APIClient().post(path, body, format="json")


def get_with(access: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    status: int = client.get(PROTECTED).status_code
    return status


def claims(token: str) -> dict[str, Any]:
    data: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return data


def later(hours: float) -> Any:
    return mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + dt.timedelta(hours=hours)
    )


def test_refresh_never_extends_past_the_session_lifetime(user: Any, settings: Any) -> None:
    settings.JWT_SESSION_MAX_HOURS = 12
    pair = login()
    started = claims(pair["refresh"])["auth_time"]

    with later(11):
        rotated = post(REFRESH, {"refresh": pair["refresh"]})
    assert rotated.status_code == 200
    new = rotated.json()["refresh"]
    # The rotated token carries the session start and expires with the session (not +24 h).
    assert claims(new)["auth_time"] == started
    assert claims(new)["exp"] == started + 12 * 3600

    with later(12.01):
        expired = post(REFRESH, {"refresh": new})
    assert expired.status_code == 401
    assert set(expired.json()) == {"detail"}


def test_a_refresh_token_without_session_start_is_refused(user: Any) -> None:
    from rest_framework_simplejwt.tokens import RefreshToken

    legacy = RefreshToken.for_user(user)

    assert post(REFRESH, {"refresh": str(legacy)}).status_code == 401


def test_logout_blacklists_the_refresh_token(user: Any) -> None:
    pair = login()

    logout = post(LOGOUT, {"refresh": pair["refresh"]})

    assert logout.status_code == 200
    assert post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401
    assert post(VERIFY, {"token": pair["refresh"]}).status_code == 401
    assert post(LOGOUT, {"refresh": "nao-e-um-token"}).status_code == 401
    assert post(LOGOUT, {}).status_code == 400


def test_password_change_revokes_every_token(user: Any) -> None:
    first, second = login(), login()
    assert get_with(first["access"]) == 200

    user.set_password("Uma-senha-nova-e-longa-42")
    user.save()

    for pair in (first, second):
        assert get_with(pair["access"]) == 401
        assert post(VERIFY, {"token": pair["access"]}).status_code == 401
        assert post(VERIFY, {"token": pair["refresh"]}).status_code == 401
        assert post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    outstanding = OutstandingToken.objects.filter(user=user)
    assert outstanding.count() == 2
    assert all(hasattr(token, "blacklistedtoken") for token in outstanding)


def test_deactivation_revokes_every_token(user: Any) -> None:
    pair = login()
    assert post(VERIFY, {"token": pair["access"]}).status_code == 200

    user.is_active = False
    user.save()

    assert get_with(pair["access"]) == 401
    assert post(VERIFY, {"token": pair["access"]}).status_code == 401
    assert post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401
    user.is_active = True
    user.save()
    # Reactivation does not resurrect the old refresh token (it was blacklisted).
    assert post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401


def test_a_deleted_user_token_is_refused_without_error(user: Any) -> None:
    pair = login()
    user.delete()

    assert post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401
    assert post(VERIFY, {"token": pair["access"]}).status_code == 401
