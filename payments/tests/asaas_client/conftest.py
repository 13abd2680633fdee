from __future__ import annotations

import random
import types
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from payments.services.asaas_service import AsaasService
from payments.tests.asaas_client.support import API_KEY, BASE_URL, SleepRecorder


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def asaas(sleeps: SleepRecorder) -> Iterator[AsaasService]:
    service = AsaasService(base_url=BASE_URL, api_key=API_KEY, sleep=sleeps, rng=random.Random(7))
    yield service
    service.close()


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def asaas_settings(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """pytest-django's ``settings`` when Django is configured, else a stand-in object that
    ``AsaasService.from_settings`` reads through ``django.conf.settings``."""
    import django.conf

    if request.config.pluginmanager.hasplugin("django") and django.conf.settings.configured:
        return request.getfixturevalue("settings")
    stand_in = types.SimpleNamespace()
    monkeypatch.setattr(django.conf, "settings", stand_in)
    return stand_in
