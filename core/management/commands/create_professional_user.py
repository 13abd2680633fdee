"""``python manage.py create_professional_user``: a login for a professional (role
"professional": sees and edits only their own data)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.management.commands.ensure_superuser import password_check
from core.settings.environment import env
from professionals.models import Professional


@transaction.atomic
def professional_user_create(*, professional: Professional, username: str, password: str) -> Any:
    if professional.user_id is not None:
        raise CommandError("Este profissional já tem um usuário.")
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise CommandError(f"O usuário '{username}' já existe.")
    password_check(password=password, username=username, email=professional.email or "")
    user = user_model.objects.create_user(
        username=username, email=professional.email or "", password=password
    )
    professional.user = user
    professional.save(update_fields=["user", "updated_at"])
    return user


class Command(BaseCommand):
    help = (
        "Creates a user linked to a professional "
        "(password from --password or the PROFESSIONAL_PASSWORD variable)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--professional", type=int, required=True, help="Professional id.")
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        professional = Professional.objects.filter(pk=options["professional"]).first()
        if professional is None:
            raise CommandError("Profissional não encontrado.")
        password = options["password"] or env.str("PROFESSIONAL_PASSWORD", default="")
        if not password:
            raise CommandError("Informe --password ou a variável PROFESSIONAL_PASSWORD.")
        user = professional_user_create(
            professional=professional, username=options["username"], password=password
        )
        self.stdout.write(
            self.style.SUCCESS(f"Usuário '{user.username}' ligado a {professional.preferred_name}.")
        )
