"""The patient as an Asaas customer (the payer), found or created exactly once."""

from __future__ import annotations

from appointments.models import Patient
from payments.services.asaas_service import AsaasService


def patient_external_reference(patient: Patient) -> str:
    return f"patient-{patient.pk}"


def patient_customer_ensure(*, patient: Patient, asaas: AsaasService) -> str:
    """The patient's ``cus_`` id: stored, else looked up by externalReference, else created.

    The caller holds a lock on the patient row, so two charges of one patient never create
    two customers; the lookup covers a create that timed out after Asaas committed it.
    """
    if patient.asaas_customer_id:
        return patient.asaas_customer_id
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
    patient.asaas_customer_id = customer.id
    patient.save(update_fields=["asaas_customer_id", "updated_at"])
    return customer.id
