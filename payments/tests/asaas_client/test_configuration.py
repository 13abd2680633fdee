from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import responses

from payments.services.asaas_service import (
    AsaasConfigurationError,
    AsaasService,
)
from payments.tests.asaas_client.support import ORIGIN

REPO_ROOT = Path(__file__).resolve().parents[3]


def _configure(settings: Any, **values: Any) -> None:
    defaults = {
        "ASAAS_API_URL": "https://api-sandbox.asaas.test/v3",
        "ASAAS_API_KEY": "$aact_hmlg_000FromSettings000",
        "ASAAS_TIMEOUT": None,
        "ASAAS_USER_AGENT": None,
    }
    defaults.update(values)
    for name, value in defaults.items():
        setattr(settings, name, value)


def test_from_settings_reads_url_key_timeout_and_user_agent(asaas_settings: Any) -> None:
    _configure(asaas_settings, ASAAS_TIMEOUT=5, ASAAS_USER_AGENT="MedicalAPI/2.0 (test)")

    service = AsaasService.from_settings()

    assert service.base_url == "https://api-sandbox.asaas.test/v3"
    assert service.timeout == (3.05, 5.0)
    assert service.user_agent == "MedicalAPI/2.0 (test)"


def test_from_settings_defaults_and_sends_the_configured_key(asaas_settings: Any) -> None:
    _configure(asaas_settings)
    service = AsaasService.from_settings(max_retries=0)

    with responses.RequestsMock() as http:
        http.add("GET", ORIGIN + "/v3/payments/pay_1/status", json={"status": "PENDING"})
        service.payment_status("pay_1")
        headers = http.calls[0].request.headers

    assert service.timeout == (3.05, 10.0)
    assert headers["access_token"] == "$aact_hmlg_000FromSettings000"
    assert headers["User-Agent"] == "MedicalAPI/1.0"


@pytest.mark.parametrize("missing", ["ASAAS_API_URL", "ASAAS_API_KEY"])
def test_from_settings_refuses_an_empty_url_or_key(asaas_settings: Any, missing: str) -> None:
    _configure(asaas_settings, **{missing: ""})

    with pytest.raises(AsaasConfigurationError):
        AsaasService.from_settings()


@pytest.mark.parametrize("timeout", ["soon", 0, -1])
def test_from_settings_refuses_a_bad_timeout(asaas_settings: Any, timeout: object) -> None:
    _configure(asaas_settings, ASAAS_TIMEOUT=timeout)

    with pytest.raises(AsaasConfigurationError):
        AsaasService.from_settings()


@pytest.mark.parametrize(
    ("base_url", "api_key"),
    [("", "key"), ("ftp://asaas.test/v3", "key"), ("https://asaas.test/v3", "")],
)
def test_constructor_refuses_missing_configuration(base_url: str, api_key: str) -> None:
    with pytest.raises(AsaasConfigurationError):
        AsaasService(base_url=base_url, api_key=api_key)


def test_repr_never_shows_the_api_key() -> None:
    service = AsaasService(base_url="http://127.0.0.1:8001/v3/", api_key="$aact_hmlg_secret")

    assert "secret" not in repr(service)
    assert service.base_url == "http://127.0.0.1:8001/v3"


def test_module_imports_without_django_settings_or_project_apps() -> None:
    code = (
        "import sys, payments.services.asaas_service\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in "
        "('django', 'core', 'professionals', 'appointments')"
        " or m in ('payments.models', 'payments.tasks', 'payments.views')]\n"
        "assert not loaded, loaded\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)}

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
