"""``python manage.py ensure_superuser``: create or update the operators' superuser."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.settings.environment import env


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
        if not password:
            if not settings.DEBUG:
                raise CommandError("Defina DJANGO_SUPERUSER_PASSWORD.")
            password = "admin"  # noqa: S105 - development default, documented in the README
        created = superuser_ensure(username=username, email=email, password=password)
        verb = "criado" if created else "atualizado"
        self.stdout.write(self.style.SUCCESS(f"Superusuário '{username}' {verb}."))
