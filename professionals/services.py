"""Write operations on professionals. Views call these; they own the transactions."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import NotFoundError

from .models import CLIENT_FIELDS, IntegrationStatus, Professional

#: Changing these re-runs the Asaas onboarding of a professional not yet ACTIVE.
ONBOARDING_FIELDS = frozenset(
    {
        "email",
        "phone",
        "cpf_cnpj",
        "income_value",
        "address",
        "address_number",
        "province",
        "postal_code",
        "asaas_wallet_id",
    }
)


@transaction.atomic
def professional_create(**data: Any) -> Professional:
    fields = {field: data[field] for field in CLIENT_FIELDS if field in data}
    if not fields.get("email"):
        fields["email"] = None  # unique, so "no e-mail" is NULL rather than ""
    return Professional.objects.create(**fields)


@transaction.atomic
def professional_update(*, professional: Professional, data: dict[str, Any]) -> Professional:
    # Re-read the row under a lock and change that instance (the onboarding task may have
    # written it meanwhile); a concurrent DELETE that won the race makes this a 404, not a 500.
    locked = Professional.objects.select_for_update(no_key=True).filter(pk=professional.pk).first()
    if locked is None:
        raise NotFoundError(_("Não encontrado."))
    professional = locked
    changed = [
        field
        for field in CLIENT_FIELDS
        if field in data and getattr(professional, field) != data[field]
    ]
    for field in changed:
        setattr(professional, field, data[field])
    if professional.email == "":
        professional.email = None
    if set(changed) & ONBOARDING_FIELDS and professional.integration_status in {
        IntegrationStatus.PENDING,
        IntegrationStatus.ERROR,
    }:
        professional.integration_status = IntegrationStatus.PENDING
        professional.integration_error = ""
        changed += ["integration_status", "integration_error"]
    if changed:
        professional.save(update_fields=[*changed, "updated_at"])
    return professional


@transaction.atomic
def professional_delete(*, professional: Professional) -> None:
    """Delete the professional; their appointments go with them (cascade), unless payment
    history protects them (then Django raises ProtectedError → 409).

    The professional's row is locked first, as every booking and appointment change does
    (``appointments.services.professionals_lock``): deleting the appointments first would wait
    on a booking that holds the professional and waits on them (a deadlock)."""
    locked = Professional.objects.select_for_update().filter(pk=professional.pk).first()
    if locked is None:
        raise NotFoundError(_("Não encontrado."))
    locked.delete()
