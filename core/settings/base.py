"""Settings shared by every environment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import django_stubs_ext
from corsheaders.defaults import default_headers as default_cors_headers
from django.utils.translation import gettext_lazy as _

from core.observability.logs import logging_config

from .environment import BASE_DIR, env, raw_str

# Lets admin/viewset/serializer classes be subscripted with their model at run time.
django_stubs_ext.monkeypatch()

ENVIRONMENT = "base"
SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "core",  # before drf_spectacular: its ReDoc template override must win
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "corsheaders",
    "simple_history",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "professionals",
    "appointments",
    "payments",
]

MIDDLEWARE = [
    # First: GETs of a list or a detail answered without DRF when they can be
    # (core/api/fastread.py), POSTs of an Asaas webhook likewise (payments/fast_webhook.py);
    # what the outer middleware below does to such an answer they do themselves
    # (core/api/outer.py). Everything else passes on.
    "core.api.fastread.FastReadMiddleware",
    "payments.fast_webhook.FastWebhookMiddleware",
    # Then: every response (redirects and errors included) carries X-Request-ID.
    "core.observability.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # JSON errors under /api/ (outermost: also wraps errors of the middleware below).
    "core.middleware.ApiJsonErrorsMiddleware",
    # /api/ routes with or without the trailing slash (before CommonMiddleware's APPEND_SLASH).
    "core.middleware.ApiTrailingSlashMiddleware",
    # Cache-Control: no-store under /api/, Content-Security-Policy on the admin and the docs.
    "core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Gives change history the request's user and IP (see core/audit.py).
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Português (Brasil)"))]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["core.api.filtering.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # JWT first: an anonymous request then gets 401 with "WWW-Authenticate: Bearer".
        # simplejwt's, with the user read from a cached snapshot (core/api/token_user.py).
        "core.api.token_user.SnapshotJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "core.api.permissions.RolePermission",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.AnonRateThrottle",  # one Redis round trip each (fixed window)
        "core.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON_RATE", default="30/minute"),
        "user": env.str("THROTTLE_USER_RATE", default="600/minute"),
        "auth": env.str("THROTTLE_AUTH_RATE", default="10/minute"),
        "asaas_webhook": env.str("THROTTLE_WEBHOOK_RATE", default="1200/minute"),
        # payment_status?refresh=true by a professional: one outbound Asaas call each.
        "asaas_refresh": env.str("THROTTLE_ASAAS_REFRESH_RATE", default="10/minute"),
    },
    # Proxies in front of the app (X-Forwarded-For is trusted only that many hops deep).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.renderers.FastJSONRenderer",  # orjson, the same bytes as DRF's JSONRenderer
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON (strict: no NaN, no NUL, bounded nesting), form-encoded and multipart bodies.
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "core.api.parsers.StrictMultiPartParser",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
    # The browsable API's titles in pt-BR ("Profissionais", "Consulta: reembolsar").
    "VIEW_NAME_FUNCTION": "core.api.naming.view_name",
    "DATETIME_FORMAT": "iso-8601",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Medical API",
    "DESCRIPTION": (
        "API para plataformas de saúde: cadastro de profissionais, agendamento de consultas "
        "e cobrança de pacientes pelo Asaas com split automático."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # ReDoc's bundle with its footer logo served from here, not from Redocly's CDN
    # (core/api/docs.py); Swagger UI from the sidecar package, never checking a validator.
    "REDOC_DIST": "/docs-assets/redoc",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "GET_LIB_DOC_EXCLUDES": "core.api.schema.lib_doc_excludes",
    "SCHEMA_PATH_PREFIX": r"/api/",
    "ENUM_NAME_OVERRIDES": {
        "PaymentStatusEnum": "appointments.models.PaymentStatus",
        "BookingStatusEnum": "appointments.models.BookingStatus",
        "TransactionStatusEnum": "payments.models.TransactionStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_common_error_responses",
        "core.api.schema.contract_details",
        "core.api.idempotency.idempotency_schema_hook",
        "core.api.schema.bearer_first",
    ],
}

NUM_PROXIES = REST_FRAMEWORK["NUM_PROXIES"]

# --- Authentication, access, audit ------------------------------------------------------------
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env.int("JWT_REFRESH_HOURS", default=24)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a digest of the password hash: a new password revokes them all.
    "CHECK_REVOKE_TOKEN": True,
    "TOKEN_OBTAIN_SERIALIZER": "core.api.sessions.SessionTokenObtainSerializer",
    "TOKEN_REFRESH_SERIALIZER": "core.api.sessions.SessionTokenRefreshSerializer",
    "TOKEN_VERIFY_SERIALIZER": "core.api.sessions.SessionTokenVerifySerializer",
}
# Absolute session lifetime: no refresh extends a token session past this many hours after login.
JWT_SESSION_MAX_HOURS = env.int("JWT_SESSION_MAX_HOURS", default=12)
# The OpenAPI schema and docs: public, or staff only (the production default).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=True)
# The admin's URL prefix (change it in production to keep scanners off the login page).
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
# Audit records (reads and change history) are kept this many days (LGPD: 7 years).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=2555)
# Read-access records are written in batches, every this many seconds or this many records: a
# crash loses at most the last AUDIT_BUFFER_SECONDS of a process's records (core/audit.py);
# 0 writes each read synchronously.
AUDIT_BUFFER_SECONDS = env.float("AUDIT_BUFFER_SECONDS", default=1.0)
AUDIT_BUFFER_RECORDS = env.int("AUDIT_BUFFER_RECORDS", default=500)
# The hot paths' few statements (fast reads, the webhook's store) are prepared by PostgreSQL once
# they repeat on a connection (core.db.prepared_cursor): false behind a transaction pooler that
# keeps no prepared statements (PgBouncer before 1.21).
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)
# GETs of the professionals, appointments and patients lists and details are answered without
# DRF's dispatch when they can be, with the same checks and bodies (core/api/fastread.py);
# false sends every request through the whole stack.
FAST_READS = env.bool("FAST_READS", default=True)
# The same for the Asaas webhook's common case (payments/fast_webhook.py).
FAST_WEBHOOKS = env.bool("FAST_WEBHOOKS", default=True)
FAST_READ_RESOURCES = [
    "professionals.fast_reads.PROFESSIONALS",
    "professionals.fast_reads.WORKING_HOURS",
    "professionals.fast_reads.SCHEDULE_EXCEPTIONS",
    "appointments.fast_reads.APPOINTMENTS",
    "appointments.fast_reads.PATIENTS",
    "payments.fast_reads.PAYMENT_STATUS",
]
# Cached JWT user snapshots live at most this long (core/api/token_user.py).
AUTH_SNAPSHOT_SECONDS = env.int("AUTH_SNAPSHOT_SECONDS", default=60)
# /api/payments/metrics/ is computed at most once per this many seconds (payments/metrics.py).
PAYMENT_METRICS_CACHE_SECONDS = env.int("PAYMENT_METRICS_CACHE_SECONDS", default=30)
# Browsers allowed to call the API from another origin (comma-separated, exact origins).
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = False
# Browsers may send Idempotency-Key and read whether an answer was replayed.
CORS_ALLOW_HEADERS = (*default_cors_headers, "idempotency-key")
CORS_EXPOSE_HEADERS = ["Idempotent-Replayed", "Retry-After"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Throttling counters live in the cache: shared by every process through Redis when
# configured, otherwise through files under var/cache (still shared on one machine).
# Redis down → the cache misses and throttling fails open (core/degraded.py); short timeouts.
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
CACHES = {
    "default": (
        {
            "BACKEND": "core.degraded.FailOpenRedisCache",
            "LOCATION": env.str("REDIS_URL"),
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
        if env.str("REDIS_URL", default="")
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(BASE_DIR / "var" / "cache"),
        }
    )
}

# Business rules (see README "Regras de negócio").
DEFAULT_SPLIT_PERCENTAGE = Decimal(env.str("DEFAULT_SPLIT_PERCENTAGE", default="85.00"))
MINIMUM_SPLIT_AMOUNT = Decimal(env.str("MINIMUM_SPLIT_AMOUNT", default="10.00"))
# A patient who cancels at least this many hours before the start gets a full refund.
BOOKING_FULL_REFUND_HOURS = env.int("BOOKING_FULL_REFUND_HOURS", default=24)
# Patients are e-mailed a reminder this many hours before the appointment.
APPOINTMENT_REMINDER_HOURS = env.int("APPOINTMENT_REMINDER_HOURS", default=24)

# Readiness (/health/ready/): worker and beat heartbeats older than 3 intervals are stale; more
# failed or stranded webhook events than this fail the webhook backlog check.
HEALTH_HEARTBEAT_SECONDS = env.float("HEALTH_HEARTBEAT_SECONDS", default=30.0)
HEALTH_WEBHOOK_BACKLOG_MAX = env.int("HEALTH_WEBHOOK_BACKLOG_MAX", default=50)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "text" (readable) or "json" (one JSON object per line; the production default). Every line
# goes through core.logging's query-string filter and carries the request id.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)

# E-mail: EMAIL_URL (smtp://user:password@host:587, smtp+tls://..., smtp+ssl://...) or the
# usual EMAIL_HOST/EMAIL_PORT/EMAIL_HOST_USER/EMAIL_HOST_PASSWORD/EMAIL_USE_TLS/EMAIL_USE_SSL.
# Without either, e-mails are printed by the console backend (development only: production
# refuses it unless EMAIL_ALLOW_CONSOLE=true, see production.py).
CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
SMTP_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = raw_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=not env.bool("EMAIL_USE_SSL", default=False))
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="") or (
    SMTP_EMAIL_BACKEND if EMAIL_HOST else CONSOLE_EMAIL_BACKEND
)
if env.str("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email.get("EMAIL_HOST", "")
    EMAIL_PORT = int(_email.get("EMAIL_PORT") or 587)
    EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
    EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Medical API <no-reply@medical-api.local>"
)

# --- Celery -----------------------------------------------------------------------------------
# Redis when REDIS_URL is set; otherwise kombu's filesystem transport, which needs no server but
# still runs a real worker process (eager mode is never the default).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_QUEUE_DIR = Path(env.str("CELERY_QUEUE_DIR", default=str(BASE_DIR / "var" / "celery")))
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
# visibility_timeout: longer than any retry countdown (retry_backoff_max), so no task is
# redelivered twice. Socket timeouts: a dead or hung Redis must not block a web request that
# publishes a task (kombu waits forever by default); 2 s stays above BRPOP's 1 s.
REDIS_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    "visibility_timeout": 2 * 60 * 60,
    "socket_connect_timeout": 1.0,
    "socket_timeout": 2.0,
}
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    REDIS_BROKER_TRANSPORT_OPTIONS
    if REDIS_URL
    else {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
    }
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_DEFAULT_RETRY_DELAY = 5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing from a web request while the broker is down must fail fast (the work is then
# picked up by the sweeper / webhook replay): one quick retry, 1 s to connect.
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
# The worker waits for the broker as long as it takes (the default gives up after 100 tries).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_QUEUE_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sweep-unsubmitted-charges": {
        "task": "payments.tasks.sweep_unsubmitted_charges_task",
        "schedule": env.float("PAYMENT_SWEEP_INTERVAL_SECONDS", default=120.0),
    },
    "sync-stale-charges": {
        "task": "payments.tasks.sync_stale_charges_task",
        "schedule": env.float("PAYMENT_SYNC_INTERVAL_SECONDS", default=3600.0),
    },
    "replay-failed-webhooks": {
        "task": "payments.tasks.replay_failed_webhooks_task",
        "schedule": env.float("WEBHOOK_REPLAY_INTERVAL_SECONDS", default=900.0),
    },
    "health-heartbeat": {
        "task": "core.tasks.beat_heartbeat_task",
        "schedule": env.float("HEALTH_HEARTBEAT_SECONDS", default=30.0),
    },
    "reconcile-payments": {
        "task": "payments.tasks.reconcile_payments_task",
        "schedule": env.float("PAYMENT_RECONCILE_INTERVAL_SECONDS", default=86400.0),
    },
    "sweep-unsettled-cancellations": {
        "task": "appointments.tasks.sweep_unsettled_cancellations_task",
        "schedule": env.float("PAYMENT_SWEEP_INTERVAL_SECONDS", default=120.0),
    },
    "send-appointment-reminders": {
        "task": "appointments.tasks.send_appointment_reminders_task",
        "schedule": env.float("APPOINTMENT_REMINDER_INTERVAL_SECONDS", default=900.0),
    },
    "purge-idempotency-keys": {
        "task": "core.tasks.purge_idempotency_keys_task",
        "schedule": 3600.0,
    },
}
# Idempotency-Key records are replayed for this long, then purged (core/api/idempotency.py).
IDEMPOTENCY_KEY_TTL_HOURS = 24

# --- Asaas ------------------------------------------------------------------------------------
ASAAS_API_URL = env.str("ASAAS_API_URL", default="http://127.0.0.1:8001/v3")
ASAAS_API_KEY = raw_str("ASAAS_API_KEY")
ASAAS_WEBHOOK_TOKEN = raw_str("ASAAS_WEBHOOK_TOKEN")
# Largest webhook body accepted (bytes); larger ones answer 413 and nothing is stored.
WEBHOOK_MAX_BYTES = env.int("WEBHOOK_MAX_BYTES", default=64 * 1024)
ASAAS_TIMEOUT = env.float("ASAAS_TIMEOUT", default=10.0)
ASAAS_USER_AGENT = env.str("ASAAS_USER_AGENT", default="MedicalAPI/1.0")
ASAAS_EMULATOR_PORT = env.int("ASAAS_EMULATOR_PORT", default=8001)
# Charges whose creation failed this many times become FAILED instead of being retried again.
PAYMENT_MAX_ATTEMPTS = env.int("PAYMENT_MAX_ATTEMPTS", default=8)
# Base of the exponential backoff (seconds) between retries of the Asaas tasks.
PAYMENT_RETRY_BACKOFF_SECONDS = env.int("PAYMENT_RETRY_BACKOFF_SECONDS", default=5)
# Charges still unpaid after this many hours are re-read from Asaas by the periodic sync.
PAYMENT_SYNC_AFTER_HOURS = env.int("PAYMENT_SYNC_AFTER_HOURS", default=24)
# Appointments left PENDING (charge never created) for this long are re-enqueued by the sweeper.
PAYMENT_SWEEP_AFTER_SECONDS = env.int("PAYMENT_SWEEP_AFTER_SECONDS", default=120)
# A worker's claim on a charge (or customer) submission; past it, another worker may take over
# (after a crash). Longer than the task's hard time limit.
PAYMENT_SUBMIT_LEASE_SECONDS = env.int("PAYMENT_SUBMIT_LEASE_SECONDS", default=180)
# Webhook events stored but not processed after this long are processed by the replay task.
WEBHOOK_STRANDED_AFTER_SECONDS = env.int("WEBHOOK_STRANDED_AFTER_SECONDS", default=60)
# The daily reconciliation looks at charges changed in this many days (plus all unsettled ones).
PAYMENT_RECONCILE_DAYS = env.int("PAYMENT_RECONCILE_DAYS", default=7)
