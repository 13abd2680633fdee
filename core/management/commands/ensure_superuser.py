"""``python manage.py ensure_superuser``: create or update the operators' superuser.

The password comes from ``DJANGO_SUPERUSER_PASSWORD`` and must pass the password validators.
Only on a development machine — the local SQLite file, or ``DEBUG`` explicitly on in the
environment — does an empty password fall back to ``admin``; anywhere else (PostgreSQL with
DEBUG unset, production) the command refuses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.settings.environment import env

DEVELOPMENT_PASSWORD = "admin"  # noqa: S105 - development default, documented in the README


def development_default_allowed() -> bool:
    """The local development SQLite file, or DEBUG explicitly on in the environment."""
    debug_explicit = bool(settings.DEBUG) and env.bool("DEBUG", default=False)
    sqlite_path = getattr(settings, "SQLITE_PATH", "")
    database = connection.settings_dict
    local_sqlite = (
        database["ENGINE"] == "django.db.backends.sqlite3"
        and bool(sqlite_path)
        and Path(str(database["NAME"])).resolve() == Path(sqlite_path).resolve()
    )
    return debug_explicit or local_sqlite


def password_check(*, password: str, username: str, email: str = "") -> None:
    """Django's password validators; ``CommandError`` with their messages."""
    user = get_user_model()(username=username, email=email)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise CommandError(" ".join(error.messages)) from None


def superuser_ensure(*, username: str, email: str, password: str) -> bool:
    """Create the superuser or reset its password; returns True when it was created."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username, defaults={"email": email, "is_staff": True, "is_superuser": True}
    )
    user.is_staff = True
    user.is_superuser = True
    user.set_password(password)
    user.save()
    return created


class Command(BaseCommand):
    help = "Creates (or updates the password of) the superuser from DJANGO_SUPERUSER_* variables."

    def handle(self, *args: Any, **options: Any) -> None:
        username = env.str("DJANGO_SUPERUSER_USERNAME", default="admin")
        email = env.str("DJANGO_SUPERUSER_EMAIL", default="admin@example.com")
        password = env.str("DJANGO_SUPERUSER_PASSWORD", default="")
        if password:
            password_check(password=password, username=username, email=email)
        elif development_default_allowed():
            password = DEVELOPMENT_PASSWORD
        else:
            raise CommandError(
                "Defina DJANGO_SUPERUSER_PASSWORD (a senha padrão 'admin' só vale no SQLite "
                "local de desenvolvimento ou com DEBUG=true explícito)."
            )
        created = superuser_ensure(username=username, email=email, password=password)
        verb = "criado" if created else "atualizado"
        self.stdout.write(self.style.SUCCESS(f"Superusuário '{username}' {verb}."))
