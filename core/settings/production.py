"""Production: every secret from the environment, PostgreSQL only, HTTPS hardening on."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from core.observability.logs import logging_config

from .base import *
from .environment import configured_database, env

ENVIRONMENT = "production"
DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")  # raises ImproperlyConfigured when missing
if not SECRET_KEY:
    raise ImproperlyConfigured("Set the SECRET_KEY environment variable.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set the ALLOWED_HOSTS environment variable.")

_database = configured_database()
if _database is None:
    raise ImproperlyConfigured("Set DATABASE_URL (or DB_NAME/DB_USER/...) for production.")
_database.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
_database.setdefault("CONN_HEALTH_CHECKS", True)
DATABASES = {"default": _database}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health/(ready/)?$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# E-mail must leave the machine: the console/locmem/file/dummy backends would print patients'
# names and e-mails into the worker's output (or drop them) and no patient would be told.
UNDELIVERED_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
if EMAIL_BACKEND in UNDELIVERED_EMAIL_BACKENDS and not env.bool(
    "EMAIL_ALLOW_CONSOLE", default=False
):
    raise ImproperlyConfigured(
        "Set EMAIL_URL (or EMAIL_HOST and friends) for production e-mail, or "
        "EMAIL_ALLOW_CONSOLE=true to accept e-mails that are never delivered."
    )
if EMAIL_BACKEND == SMTP_EMAIL_BACKEND and not EMAIL_HOST:
    raise ImproperlyConfigured("Set EMAIL_URL or EMAIL_HOST for the SMTP e-mail backend.")

# Schema and docs are for operators unless explicitly published.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)

# One JSON object per log line unless LOG_FORMAT=text.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
