# syntax=docker/dockerfile:1
# Medical API image: Python 3.11 slim, Poetry-installed dependencies, gunicorn, non-root user.
#   docker build -t medical-api .                        (app dependencies only)
#   docker build --build-arg INSTALL_DEV=true -t ...     (plus the dev group: tests, linters)
# Runtime needs SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL (see .env.example).

FROM python:3.11-slim AS builder
ARG INSTALL_DEV=false
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    POETRY_NO_INTERACTION=1 \
    POETRY_VIRTUALENVS_IN_PROJECT=true \
    POETRY_VIRTUALENVS_CREATE=true
WORKDIR /app
RUN python -m venv /opt/poetry \
    && /opt/poetry/bin/pip install "poetry>=2,<3"
COPY pyproject.toml poetry.lock poetry.toml ./
RUN if [ "$INSTALL_DEV" = "true" ]; then groups="--with dev"; else groups="--only main"; fi \
    && /opt/poetry/bin/poetry install --no-root $groups --no-ansi \
    && touch /app/.venv/.docker-image \
    && rm -rf /root/.cache

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/app/.venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=core.settings.production \
    PORT=8000 \
    WEB_CONCURRENCY=3
RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
COPY --chown=app:app . .
# Static files are collected at build time; production settings need these dummy values only
# to import (nothing connects to the database here).
RUN SECRET_KEY=collectstatic-build-only ALLOWED_HOSTS=localhost EMAIL_ALLOW_CONSOLE=true \
    DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    python manage.py collectstatic --no-input --verbosity 0 \
    && mkdir -p var \
    && chown -R app:app /app/staticfiles /app/var \
    && chown app:app /app
USER app
EXPOSE 8000
# Readiness: 503 (unhealthy) only when the database fails; Redis, a missing worker or
# Asaas only degrades it (see /health/ready/). The worker and beat services check their own
# heartbeats instead (docker-compose.yml).
HEALTHCHECK --interval=10s --timeout=8s --start-period=30s --retries=5 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/ready/' % os.environ.get('PORT', '8000'), timeout=7)"]
CMD ["sh", "-c", "exec gunicorn core.wsgi:application --config gunicorn.conf.py --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY} --timeout 30"]
