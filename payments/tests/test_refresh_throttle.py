"""payment_status?refresh=true (one outbound Asaas call each) is rate-limited per professional
user; plain reads and staff are not affected by that limit."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.throttling import SimpleRateThrottle

from core.tests.access_fixtures import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: None, settings: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "asaas_refresh": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    return build_world()


def test_professional_refreshes_are_limited(world: World) -> None:
    client = world.client("prof_a")
    url = f"/api/appointments/{world.appt_a.pk}/payment_status/"

    refreshes = [client.get(url, {"refresh": "true"}).status_code for _ in range(4)]
    plain = client.get(url)
    other_user = world.client("prof_b").get(
        f"/api/appointments/{world.appt_b.pk}/payment_status/", {"refresh": "1"}
    )

    assert refreshes == [200, 200, 200, 429]
    assert plain.status_code == 200  # reading without refresh costs no Asaas call
    assert other_user.status_code == 200  # per user


def test_throttled_answer_is_the_standard_429(world: World) -> None:
    client = world.client("prof_a")
    url = f"/api/appointments/{world.appt_a.pk}/payment_status/?refresh=true"
    for _ in range(3):
        client.get(url)

    response = client.get(url)

    assert response.status_code == 429
    assert set(response.json()) == {"detail"}
    assert 0 < int(response["Retry-After"]) <= 60


def test_staff_refreshes_are_not_limited_by_it(world: World) -> None:
    client = world.client("staff")
    url = f"/api/appointments/{world.appt_a.pk}/payment_status/?refresh=true"

    assert [client.get(url).status_code for _ in range(5)] == [200] * 5
