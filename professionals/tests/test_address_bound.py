"""Professional.address is bounded (it was an unbounded text: 100k characters were stored)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.tests.factories import ProfessionalFactory
from professionals.models import ADDRESS_MAX_LENGTH

pytestmark = pytest.mark.django_db


def test_address_over_the_bound_is_400(api_client: APIClient) -> None:
    professional = ProfessionalFactory.create()
    url = f"/api/professionals/{professional.pk}/"

    too_long = api_client.patch(url, {"address": "R" * (ADDRESS_MAX_LENGTH + 1)}, format="json")
    at_bound = api_client.patch(url, {"address": "R" * ADDRESS_MAX_LENGTH}, format="json")
    huge = api_client.patch(url, {"address": "R" * 100_000}, format="json")

    assert too_long.status_code == 400
    assert "address" in too_long.json()
    assert huge.status_code == 400
    assert at_bound.status_code == 200
    professional.refresh_from_db()
    assert len(professional.address) == ADDRESS_MAX_LENGTH


def test_the_schema_declares_the_bound(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/?format=json").json()

    for name in ("Professional", "ProfessionalRequest", "PatchedProfessionalRequest"):
        assert schema["components"]["schemas"][name]["properties"]["address"]["maxLength"] == 500
