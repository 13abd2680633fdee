"""The patient as an Asaas customer (the payer), found or created exactly once.

No lock is held across the HTTP call: a short transaction *claims* the creation (a lease on
the patient row), the call runs outside any transaction, and a second short transaction
records the id. A concurrent charge of the same patient sees the claim and comes back later;
a claim left behind by a crashed worker expires, and the lookup by ``externalReference``
then adopts the customer that worker may have created.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from appointments.models import Patient
from payments.services.asaas_service import AsaasService


def patient_external_reference(patient: Patient) -> str:
    return f"patient-{patient.pk}"


def patient_customer_ensure(*, patient_id: int, asaas: AsaasService) -> str | None:
    """The patient's ``cus_`` id, or None while another worker is creating it."""
    lease = timedelta(seconds=settings.PAYMENT_SUBMIT_LEASE_SECONDS)
    with transaction.atomic():
        patient = Patient.objects.select_for_update(no_key=True).get(pk=patient_id)
        if patient.asaas_customer_id:
            return patient.asaas_customer_id
        claimed = patient.asaas_customer_claimed_at
        if claimed is not None and claimed > timezone.now() - lease:
            return None
        Patient.objects.filter(pk=patient_id).update(asaas_customer_claimed_at=timezone.now())
    reference = patient_external_reference(patient)
    page = asaas.customer_list(external_reference=reference, limit=1)
    existing = next((c for c in page.data if not c.deleted), None)
    customer = existing or asaas.customer_create(
        name=patient.name,
        cpf_cnpj=patient.cpf,
        email=patient.email or None,
        mobile_phone=patient.phone or None,
        external_reference=reference,
    )
    with transaction.atomic():
        Patient.objects.select_for_update(no_key=True).filter(pk=patient_id).update(
            asaas_customer_id=customer.id, asaas_customer_claimed_at=None
        )
    return customer.id


def patient_customer_release(*, patient_id: int) -> None:
    """Drop a claim after a failed call, so the next attempt need not wait for the lease."""
    Patient.objects.filter(pk=patient_id, asaas_customer_id="").update(
        asaas_customer_claimed_at=None
    )
