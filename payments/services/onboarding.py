"""Giving a professional an Asaas wallet so charges can be split to them."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.conf import settings
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
    lease = timedelta(seconds=settings.PAYMENT_SUBMIT_LEASE_SECONDS)
    with transaction.atomic():
        # Short transaction: decide and claim. No lock is held across the call to Asaas.
        professional = (
            Professional.objects.select_for_update(no_key=True).filter(pk=professional_id).first()
        )
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
        claimed = professional.asaas_onboarding_claimed_at
        if claimed is not None and claimed > now - lease:
            return None  # another worker is creating the subaccount right now
        Professional.objects.filter(pk=professional_id).update(asaas_onboarding_claimed_at=now)
    client = asaas or AsaasService.from_settings(max_retries=0)
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
        with transaction.atomic():
            locked = Professional.objects.select_for_update(no_key=True).get(pk=professional_id)
            locked.integration_status = IntegrationStatus.ERROR
            locked.integration_error = str(error)[:2000]
            locked.asaas_updated_at = now
            locked.asaas_onboarding_claimed_at = None
            locked.save()
        logger.warning(
            "onboarding failed professional=%s retryable=%s", professional_id, error.retryable
        )
        return error if error.retryable else None
    with transaction.atomic():
        # Re-read the locked row: an edit may have landed while Asaas answered.
        locked = Professional.objects.select_for_update(no_key=True).get(pk=professional_id)
        # The subaccount's API key is not kept: the platform account issues every charge.
        locked.asaas_account_id = account.id
        locked.asaas_wallet_id = account.wallet_id or ""
        locked.integration_status = IntegrationStatus.ACTIVE
        locked.integration_error = ""
        locked.asaas_created_at = locked.asaas_created_at or now
        locked.asaas_updated_at = now
        locked.asaas_onboarding_claimed_at = None
        locked.save()
    return None
