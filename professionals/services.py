"""Write operations on professionals. Views call these; they own the transactions."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import Professional

PROFESSIONAL_FIELDS = ("preferred_name", "profession", "address", "contact")


@transaction.atomic
def professional_create(
    *, preferred_name: str, profession: str, address: str, contact: str
) -> Professional:
    return Professional.objects.create(
        preferred_name=preferred_name, profession=profession, address=address, contact=contact
    )


@transaction.atomic
def professional_update(*, professional: Professional, data: dict[str, Any]) -> Professional:
    changed = [field for field in PROFESSIONAL_FIELDS if field in data]
    for field in changed:
        setattr(professional, field, data[field])
    if changed:
        professional.save(update_fields=[*changed, "updated_at"])
    return professional


@transaction.atomic
def professional_delete(*, professional: Professional) -> None:
    """Delete the professional; their appointments go with them (cascade)."""
    professional.delete()
