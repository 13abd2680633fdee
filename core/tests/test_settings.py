"""Settings: production refuses to start half-configured and passes ``check --deploy``;
development and testing fall back to SQLite (and say so once); PostgreSQL is picked from
``DATABASE_URL`` or the ``DB_*`` variables.

Settings modules run their checks at import time, so most cases load them in a fresh Python
process with a controlled environment.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from core.settings import environment

ROOT = Path(__file__).resolve().parents[2]
NOTICE = "[medical-api] No DATABASE_URL or DB_NAME set"
# Set to "" so that a developer's .env (read without overwriting the environment) cannot
# supply them; for these variables an empty value means "not configured".
SHADOWED = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "DB_NAME")
PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "postgres://u:p@db:5432/x",
    "EMAIL_URL": "smtp+tls://mailer:segredo@smtp.clinica.example:587",
}
PRINT_DATABASE = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps({k: str(v) for k, v in settings.DATABASES['default'].items() "
    "if k in ('ENGINE', 'NAME', 'USER', 'HOST', 'PORT')}))"
)


def run(
    module: str, *args: str, env: dict[str, str] | None = None, code: str | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(ROOT)),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": f"core.settings.{module}",
        **dict.fromkeys(SHADOWED, ""),
        **(env or {}),
    }
    command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
    return subprocess.run(
        command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120, check=False
    )


# --- production ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS"),
        ("DATABASE_URL", "DATABASE_URL"),
    ],
)
def test_production_refuses_to_start_without(missing: str, message: str) -> None:
    env = {**PRODUCTION_ENV, missing: ""}

    result = run("production", "check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.skipif((ROOT / ".env").exists(), reason="a .env file would supply the variable")
def test_production_refuses_an_unset_secret_key() -> None:
    unset = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "core.settings.production",
            "ALLOWED_HOSTS": "api.example.com",
            "DATABASE_URL": PRODUCTION_ENV["DATABASE_URL"],
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unset.returncode != 0
    assert "SECRET_KEY" in unset.stderr


def test_production_check_deploy_has_zero_warnings() -> None:
    result = run("production", "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr
    assert "security.W" not in result.stdout + result.stderr
    assert NOTICE not in result.stderr


def test_production_values() -> None:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'DEBUG': s.DEBUG, 'HOSTS': s.ALLOWED_HOSTS, "
        "'ENGINE': s.DATABASES['default']['ENGINE'], 'HOST': s.DATABASES['default']['HOST'], "
        "'SSL': s.SECURE_SSL_REDIRECT, 'HSTS': s.SECURE_HSTS_SECONDS, "
        "'COOKIE': s.SESSION_COOKIE_SECURE}))"
    )

    result = run("production", env={**PRODUCTION_ENV, "DEBUG": "true"}, code=code)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {
        "DEBUG": False,  # even with DEBUG=true in the environment
        "HOSTS": ["api.example.com"],
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "db",
        "SSL": True,
        "HSTS": 31_536_000,
        "COOKIE": True,
    }


# --- development / testing fallback ----------------------------------------------------------


def test_development_falls_back_to_sqlite_and_says_so_once(tmp_path: Path) -> None:
    sqlite = tmp_path / "dev.sqlite3"
    code = (
        PRINT_DATABASE + "; from core.settings.environment import database_or_fallback; "
        "database_or_fallback({}, 'again')"
    )

    result = run("development", env={"SQLITE_PATH": str(sqlite)}, code=code)

    assert result.returncode == 0, result.stderr
    database = json.loads(result.stdout)
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(sqlite)
    assert result.stderr.count(NOTICE) == 1
    assert str(sqlite) in result.stderr


def test_child_processes_stay_quiet(tmp_path: Path) -> None:
    env = {"SQLITE_PATH": str(tmp_path / "db.sqlite3"), "MEDICAL_API_DB_NOTICE_SHOWN": "1"}

    result = run("development", env=env, code=PRINT_DATABASE)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ENGINE"] == "django.db.backends.sqlite3"
    assert NOTICE not in result.stderr


def test_development_check_passes(tmp_path: Path) -> None:
    result = run("development", "check", env={"SQLITE_PATH": str(tmp_path / "db.sqlite3")})

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert result.stderr.count(NOTICE) == 1


def test_testing_falls_back_to_sqlite_in_memory() -> None:
    result = run("testing", code=PRINT_DATABASE)

    assert result.returncode == 0, result.stderr
    database = json.loads(result.stdout)
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == ":memory:"
    assert result.stderr.count(NOTICE) == 1
    assert "SQLite in memory" in result.stderr


@pytest.mark.parametrize("module", ["development", "testing"])
def test_database_url_selects_postgresql(module: str) -> None:
    env = {"DATABASE_URL": "postgres://alice:secret@db.internal:6543/clinic"}

    result = run(module, env=env, code=PRINT_DATABASE)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "clinic",
        "USER": "alice",
        "HOST": "db.internal",
        "PORT": "6543",
    }
    assert NOTICE not in result.stderr


@pytest.mark.parametrize("module", ["development", "testing", "production"])
def test_db_variables_select_postgresql(module: str) -> None:
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": "",
        "DB_NAME": "medical",
        "DB_USER": "bob",
        "DB_PASSWORD": "pw",
        "DB_HOST": "pg.local",
        "DB_PORT": "5433",
    }

    result = run(module, env=env, code=PRINT_DATABASE)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "medical",
        "USER": "bob",
        "HOST": "pg.local",
        "PORT": "5433",
    }


def test_database_url_wins_over_db_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@from-url:5432/url_db")
    monkeypatch.setenv("DB_NAME", "parts_db")

    configured = environment.configured_database()

    assert configured is not None
    assert configured["NAME"] == "url_db"
    assert configured["HOST"] == "from-url"


def test_fallback_is_announced_once_per_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("DB_NAME", "")
    monkeypatch.delenv("MEDICAL_API_DB_NOTICE_SHOWN", raising=False)
    fallback = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}

    first = environment.database_or_fallback(fallback, "the fallback")
    second = environment.database_or_fallback(fallback, "the fallback")

    assert first == second == fallback
    assert capsys.readouterr().err.count("using the fallback") == 1


def test_configured_database_gets_connection_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@h:5432/d")
    monkeypatch.setenv("DB_CONN_MAX_AGE", "15")

    database = environment.database_or_fallback({}, "unused")

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["CONN_MAX_AGE"] == 15
    assert database["CONN_HEALTH_CHECKS"] is True


# --- values shared by every environment --------------------------------------------------------


def test_locale_and_time_zone() -> None:
    assert settings.LANGUAGE_CODE == "pt-br"
    assert settings.TIME_ZONE == "America/Sao_Paulo"
    assert settings.USE_TZ is True
    assert settings.USE_I18N is True


def test_api_defaults() -> None:
    framework = settings.REST_FRAMEWORK
    assert framework["PAGE_SIZE"] == 20
    assert framework["EXCEPTION_HANDLER"] == "core.api.exceptions.exception_handler"
    assert framework["DEFAULT_PARSER_CLASSES"] == [
        "core.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "core.api.parsers.StrictMultiPartParser",
    ]


def test_manage_wsgi_asgi_and_celery_share_the_default_settings_module() -> None:
    """Without DJANGO_SETTINGS_MODULE (and no .env), every entry point picks production."""
    code = (
        "import os, sys; os.environ.pop('DJANGO_SETTINGS_MODULE', None); "
        "sys.argv = ['manage.py', 'version']; "
        "import manage, runpy; "
        "from core.settings import default_settings_module; print(default_settings_module())"
    )
    sources = {
        name: (ROOT / name).read_text()
        for name in ("manage.py", "core/wsgi.py", "core/asgi.py", "core/celery.py")
    }
    env = {"DJANGO_SETTINGS_MODULE": ""}
    result = run("production", code=code, env=env)

    assert result.returncode == 0, result.stderr
    if not (ROOT / ".env").exists():
        assert result.stdout.strip().splitlines()[-1] == "core.settings.production"
    for name, source in sources.items():
        assert 'setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())' in source, name
