"""Giving a professional an Asaas wallet so charges can be split to them."""

from __future__ import annotations

import logging
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.services.asaas_service import AsaasError, AsaasService
from professionals.models import IntegrationStatus, Professional

logger = logging.getLogger("payments.onboarding")

#: What ``POST /v3/accounts`` requires, as our field names (besides the name and address).
SUBACCOUNT_FIELDS = (
    "email",
    "cpf_cnpj",
    "phone",
    "income_value",
    "address_number",
    "province",
    "postal_code",
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def professional_missing_onboarding_fields(professional: Professional) -> list[str]:
    return [field for field in SUBACCOUNT_FIELDS if not getattr(professional, field)]


def professional_onboard(
    *, professional_id: int, asaas: AsaasService | None = None
) -> AsaasError | None:
    """Make the professional ACTIVE: accept a supplied wallet id or create a subaccount.

    Returns a retryable error for the task to retry on; everything else is recorded on the
    professional (``integration_status`` and ``integration_error``).
    """
    with transaction.atomic():
        professional = Professional.objects.select_for_update().filter(pk=professional_id).first()
        if professional is None or professional.integration_status == IntegrationStatus.ACTIVE:
            return None
        if professional.integration_status == IntegrationStatus.SUSPENDED:
            return None
        now = timezone.now()
        if professional.asaas_wallet_id:
            if _UUID.match(professional.asaas_wallet_id):
                professional.integration_status = IntegrationStatus.ACTIVE
                professional.integration_error = ""
            else:
                professional.integration_status = IntegrationStatus.ERROR
                professional.integration_error = _("A carteira (walletId) informada não é válida.")
            professional.asaas_updated_at = now
            professional.save()
            return None
        missing = professional_missing_onboarding_fields(professional)
        if missing:
            professional.integration_error = _(
                "Dados incompletos para criar a subconta Asaas: %(fields)s."
            ) % {"fields": ", ".join(missing)}
            professional.save(update_fields=["integration_error", "updated_at"])
            return None
        client = asaas or AsaasService.from_settings()
        try:
            account = client.account_create(
                name=professional.preferred_name,
                email=str(professional.email),
                cpf_cnpj=professional.cpf_cnpj,
                mobile_phone=professional.phone,
                income_value=professional.income_value or 0,
                address=professional.address,
                address_number=professional.address_number,
                province=professional.province,
                postal_code=professional.postal_code,
            )
        except AsaasError as error:
            professional.integration_status = IntegrationStatus.ERROR
            professional.integration_error = str(error)[:2000]
            professional.asaas_updated_at = now
            professional.save()
            logger.warning(
                "onboarding failed professional=%s retryable=%s", professional.pk, error.retryable
            )
            return error if error.retryable else None
        # The subaccount's API key is not kept: the platform account issues every charge.
        professional.asaas_account_id = account.id
        professional.asaas_wallet_id = account.wallet_id or ""
        professional.integration_status = IntegrationStatus.ACTIVE
        professional.integration_error = ""
        professional.asaas_created_at = professional.asaas_created_at or now
        professional.asaas_updated_at = now
        professional.save()
        return None
