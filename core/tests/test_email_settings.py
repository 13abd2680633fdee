"""Production e-mail: SMTP from the environment; the console/locmem backends are refused
unless explicitly allowed (they would print patients' data and deliver nothing)."""

from __future__ import annotations

import json

import pytest

from core.tests.test_settings import PRODUCTION_ENV, run

PRINT_EMAIL = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k) for k in ('EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', "
    "'EMAIL_HOST_USER', 'EMAIL_HOST_PASSWORD', 'EMAIL_USE_TLS', 'EMAIL_USE_SSL')}))"
)
NO_EMAIL = {**PRODUCTION_ENV, "EMAIL_URL": "", "EMAIL_HOST": "", "EMAIL_BACKEND": ""}


@pytest.mark.parametrize(
    "backend",
    [
        "",  # the default without EMAIL_URL/EMAIL_HOST: console
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
    ],
)
def test_production_refuses_undelivered_email_backends(backend: str) -> None:
    result = run("production", "check", env={**NO_EMAIL, "EMAIL_BACKEND": backend})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "EMAIL_URL" in result.stderr


def test_production_accepts_the_console_backend_when_explicitly_allowed() -> None:
    result = run("production", code=PRINT_EMAIL, env={**NO_EMAIL, "EMAIL_ALLOW_CONSOLE": "true"})

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_production_smtp_from_email_url() -> None:
    env = {**NO_EMAIL, "EMAIL_URL": "smtp+tls://mailer:s3nha@smtp.clinica.example:2525"}

    result = run("production", code=PRINT_EMAIL, env=env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.clinica.example",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "s3nha",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
    }


def test_production_smtp_from_the_usual_variables() -> None:
    env = {
        **NO_EMAIL,
        "EMAIL_HOST": "smtp.clinica.example",
        "EMAIL_PORT": "465",
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "$enha",
        "EMAIL_USE_SSL": "true",
    }

    result = run("production", code=PRINT_EMAIL, env=env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.clinica.example",
        "EMAIL_PORT": 465,
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "$enha",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": True,
    }
