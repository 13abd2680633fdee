"""The admin login has the API token endpoint's brute-force limit (scope "auth")."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.tests.access_fixtures import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str, ip: str = "203.0.113.7") -> Any:
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=ip,
    )


def test_wrong_passwords_then_the_right_one_is_refused() -> None:
    make_user("operadora", is_staff=True)
    client = Client()

    first = [login(client, "operadora", f"errada-{n}").status_code for n in range(10)]
    blocked = [login(client, "operadora", f"errada-{n}").status_code for n in range(15)]
    right = login(client, "operadora", PASSWORD)

    assert first == [200] * 10  # the form again, with its error
    assert blocked == [429] * 15
    assert right.status_code == 429
    assert 0 < int(right["Retry-After"]) <= 60
    assert "Muitas tentativas" in right.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index")).status_code == 302  # still logged out


def test_the_limit_follows_the_username_across_addresses() -> None:
    make_user("operador2", is_staff=True)
    client = Client()

    codes = [login(client, "operador2", "x", ip=f"198.51.100.{n}").status_code for n in range(11)]

    assert codes[:10] == [200] * 10
    assert codes[10] == 429


def test_a_first_right_password_logs_in() -> None:
    make_user("operadora3", is_staff=True)
    client = Client()

    response = login(client, "operadora3", PASSWORD)

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
