"""``python manage.py ensure_operator_group``: create or update the "operador" group."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.operators import OPERATOR_GROUP, operator_group_ensure


class Command(BaseCommand):
    help = 'Creates (or updates the permissions of) the "operador" group.'

    def handle(self, *args: Any, **options: Any) -> None:
        group = operator_group_ensure()
        count = group.permissions.count()
        self.stdout.write(self.style.SUCCESS(f"Grupo '{OPERATOR_GROUP}' com {count} permissões."))
