"""Hardening: no personal data or secret in logs, CPF masked in lists, production settings
(check --deploy, docs staff-only, secure cookies, HSTS, CORS allow-list, admin URL).

Production settings are loaded in a fresh Python process with a controlled environment (they
run their checks at import time), as in ``test_settings.py``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from appointments.models import Patient
from core.models import AccessLog
from core.tests.access_fixtures import World, build_world
from core.tests.factories import AppointmentFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CPF = "52998224725"
CPF_FORMATTED = "529.982.247-25"
FULL_NAME = "Zuleica Sigilosa Pacientíssima"
BAD_CPF = "11144477700"
WRONG_WEBHOOK_TOKEN = "token-de-webhook-errado-8f2a61"
CNPJ = "11222333000181"


# --- no personal data in logs ----------------------------------------------------------------


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every logger at DEBUG, including those that do not propagate to the root."""
    names = ["", *logging.root.manager.loggerDict]
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)
    detached = [
        logger
        for name in names[1:]
        if isinstance(logger := logging.getLogger(name), logging.Logger) and not logger.propagate
    ]
    for logger in detached:
        logger.addHandler(caplog.handler)
    yield caplog
    for logger in detached:
        logger.removeHandler(caplog.handler)


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    """What a log line can carry: the message, its arguments and any traceback. (Django's
    request logger also attaches the request object, whose repr has the query string; only
    handlers that serialize it — e-mail to ADMINS, error trackers — would write it out.)"""
    parts = []
    for record in caplog.records:
        parts += [record.getMessage(), repr(record.args), record.exc_text or ""]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def test_personal_data_and_secrets_never_reach_the_logs(
    all_logs: pytest.LogCaptureFixture, api_client: APIClient, settings: Any
) -> None:
    settings.ASAAS_API_KEY = "$aact_hmlg_segredo_que_nao_pode_vazar_0042"
    professional = ProfessionalFactory.create()
    anon = APIClient()
    body = {"name": FULL_NAME, "cpf": CPF_FORMATTED, "email": "zuleica@example.com"}

    created = api_client.post("/api/patients/", body, format="json")
    pk = created.json()["id"]
    AppointmentFactory.create(professional=professional, patient_id=pk)
    responses = [
        created,
        api_client.post("/api/patients/", body, format="json"),  # duplicate CPF
        api_client.post("/api/patients/", {**body, "cpf": BAD_CPF}, format="json"),
        api_client.post("/api/patients/", f"<cpf>{CPF}</cpf>", content_type="application/xml"),
        api_client.get("/api/patients/", {"search": CPF}),
        api_client.get("/api/patients/", {"search": FULL_NAME}),
        api_client.get(f"/api/patients/{pk}/", {"search": "x", "cpf": CPF}),
        api_client.get("/api/patients/999999/", {"cpf": CPF}),
        api_client.get("/api/appointments/", {"professional": "nao-e-numero", "q": CPF}),
        api_client.patch(f"/api/patients/{pk}/", {"cpf": BAD_CPF}, format="json"),
        api_client.delete(f"/api/patients/{pk}/"),  # 409: has an appointment
        anon.get("/api/patients/", {"search": CPF}),
        anon.post(
            "/api/payments/webhooks/asaas/",
            {"event": "PAYMENT_RECEIVED", "payment": {"customer": CPF}},
            format="json",
            HTTP_ASAAS_ACCESS_TOKEN=WRONG_WEBHOOK_TOKEN,
        ),
        anon.post(
            "/api/payments/webhooks/asaas/",
            {"id": "evt_hardening_1", "event": "PAYMENT_RECEIVED", "payment": {"id": "pay_x"}},
            format="json",
            HTTP_ASAAS_ACCESS_TOKEN=settings.ASAAS_WEBHOOK_TOKEN,
        ),
    ]

    assert [r.status_code for r in responses] == [
        201,
        400,
        400,
        415,
        200,
        200,
        200,
        404,
        400,
        400,
        409,
        401,
        401,
        200,
    ]
    text = log_text(all_logs)
    assert "Bad Request" in text  # the request logger did run
    assert "Not Found" in text
    for secret in (
        CPF,
        CPF_FORMATTED,
        BAD_CPF,
        FULL_NAME,
        "Zuleica",
        settings.ASAAS_API_KEY,
        settings.ASAAS_WEBHOOK_TOKEN,
        WRONG_WEBHOOK_TOKEN,
    ):
        assert secret not in text, secret
    stored_paths = list(AccessLog.objects.values_list("path", flat=True))
    assert stored_paths
    assert all("?" not in path and CPF not in path for path in stored_paths)


def test_cpf_is_masked_in_lists_and_whole_in_details(api_client: APIClient) -> None:
    patient = Patient.objects.create(name=FULL_NAME, cpf=CPF)
    person = ProfessionalFactory.create(cpf_cnpj=CPF)
    company = ProfessionalFactory.create(cpf_cnpj=CNPJ)

    patients = api_client.get("/api/patients/").json()["results"]
    professionals = {
        row["id"]: row["cpf_cnpj"]
        for row in api_client.get("/api/professionals/").json()["results"]
    }
    patient_detail = api_client.get(f"/api/patients/{patient.pk}/").json()
    person_detail = api_client.get(f"/api/professionals/{person.pk}/").json()

    assert [row["cpf"] for row in patients] == ["***.982.247-**"]
    assert professionals[person.pk] == "***.982.247-**"
    assert professionals[company.pk] == "**.***.***/0001-81"
    assert CPF not in json.dumps([patients, professionals])
    assert patient_detail["cpf"] == CPF
    assert person_detail["cpf_cnpj"] == CPF


def test_a_professional_sees_masked_lists_too(db: None) -> None:
    world: World = build_world()

    rows = world.client("prof_a").get("/api/patients/").json()["results"]

    assert [row["cpf"] for row in rows] == [
        f"***.{world.patient_a.cpf[3:6]}.{world.patient_a.cpf[6:9]}-**"
    ]


# --- CORS ------------------------------------------------------------------------------------

ALLOWED_ORIGIN = "https://app.clinica.example"


@pytest.mark.parametrize(
    ("origin", "allowed"), [(ALLOWED_ORIGIN, True), ("https://evil.example", False)]
)
def test_cors_allows_only_listed_origins(
    settings: Any, api_client: APIClient, origin: str, allowed: bool
) -> None:
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED_ORIGIN]

    simple = api_client.get("/api/professionals/", HTTP_ORIGIN=origin)
    preflight = APIClient().options(
        "/api/professionals/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )

    assert simple.status_code == 200
    for response in (simple, preflight):
        if allowed:
            assert response["Access-Control-Allow-Origin"] == origin
        else:
            assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Credentials" not in response
    if allowed:
        assert preflight.status_code == 200
        assert "authorization" in preflight["Access-Control-Allow-Headers"]


def test_cors_middleware_runs_before_common_middleware() -> None:
    middleware = django_settings.MIDDLEWARE
    assert middleware.index("corsheaders.middleware.CorsMiddleware") < middleware.index(
        "django.middleware.common.CommonMiddleware"
    )


# --- production settings ---------------------------------------------------------------------

PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "api.clinica.example",
    "CSRF_TRUSTED_ORIGINS": "https://api.clinica.example",
    "DATABASE_URL": "postgres://u:p@db:5432/x",
    "EMAIL_URL": "smtp+tls://mailer:segredo@smtp.clinica.example:587",
    "REDIS_URL": "redis://redis:6379/0",
    "CORS_ALLOWED_ORIGINS": f"{ALLOWED_ORIGIN},https://painel.clinica.example",
    "ADMIN_URL": "gestao-7f3a/",
    "ASAAS_API_KEY": "$aact_prod_key_for_tests_only",
    "ASAAS_WEBHOOK_TOKEN": secrets.token_urlsafe(32),
}
# Empty so that a developer's .env (read without overwriting the environment) cannot leak in.
SHADOWED = ("DB_NAME",)
PRINT_PRODUCTION = """
import json, django
django.setup()
from django.conf import settings as s
from django.test import Client
from django.urls import Resolver404, resolve, reverse
try:
    resolve("/admin/")
    default_admin = True
except Resolver404:
    default_admin = False
schema = Client().get("/api/schema/", secure=True, HTTP_HOST="api.clinica.example")
print(json.dumps({
    "DEBUG": s.DEBUG,
    "API_DOCS_PUBLIC": s.API_DOCS_PUBLIC,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "CORS_ALLOWED_ORIGINS": s.CORS_ALLOWED_ORIGINS,
    "CORS_ALLOW_CREDENTIALS": s.CORS_ALLOW_CREDENTIALS,
    "CACHE": s.CACHES["default"]["BACKEND"],
    "admin_index": reverse("admin:index"),
    "default_admin_url_answers": default_admin,
    "schema_status": schema.status_code,
    "schema_challenge": schema.get("WWW-Authenticate", ""),
    "hsts_header": schema.get("Strict-Transport-Security", ""),
}))
"""


def run_production(*args: str, code: str | None = None, **env: str) -> Any:
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(ROOT)),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "core.settings.production",
        **dict.fromkeys(SHADOWED, ""),
        **PRODUCTION_ENV,
        **env,
    }
    command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
    return subprocess.run(
        command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120, check=False
    )


def test_production_check_deploy_is_clean_with_a_realistic_environment() -> None:
    result = run_production("check", "--deploy", "--fail-level", "WARNING")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)" in result.stdout
    assert "WARNING" not in output


def test_production_values() -> None:
    result = run_production(code=PRINT_PRODUCTION)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "DEBUG": False,
        "API_DOCS_PUBLIC": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "CORS_ALLOWED_ORIGINS": [ALLOWED_ORIGIN, "https://painel.clinica.example"],
        "CORS_ALLOW_CREDENTIALS": False,
        "CACHE": "core.degraded.FailOpenRedisCache",
        "admin_index": "/gestao-7f3a/",
        "default_admin_url_answers": False,
        "schema_status": 401,
        "schema_challenge": 'Bearer realm="api"',
        "hsts_header": "max-age=31536000; includeSubDomains; preload",
    }
