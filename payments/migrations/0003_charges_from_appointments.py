"""One charge per billed appointment, from the payment fields the appointment held so far."""

from django.db import migrations

FROM_APPOINTMENT = {
    "PENDING": "PENDING",
    "PROCESSING": "AWAITING_PAYMENT",
    "PAID": "PAID",
    "CANCELED": "CANCELED",
    "REFUNDED": "REFUNDED",
    "FAILED": "FAILED",
    "CHARGEBACK": "CHARGEBACK",
}


def create_charges(apps, schema_editor):
    Appointment = apps.get_model("appointments", "Appointment")
    Charge = apps.get_model("payments", "Charge")
    billed = Appointment.objects.exclude(status="NOT_BILLED").filter(charge__isnull=True)
    batch = []
    for appointment in billed.iterator(chunk_size=2000):
        batch.append(
            Charge(
                appointment_id=appointment.pk,
                status=FROM_APPOINTMENT.get(appointment.status, "PENDING"),
                asaas_payment_id=appointment.asaas_payment_id or None,
                invoice_url=appointment.asaas_invoice_url,
                value=appointment.total_amount,
                platform_amount=appointment.platform_amount,
                professional_amount=appointment.professional_amount,
                refunded_amount=appointment.refunded_amount,
                attempts=appointment.payment_attempts,
                last_error=appointment.last_payment_error,
                paid_at=appointment.paid_at,
            )
        )
        if len(batch) >= 2000:
            Charge.objects.bulk_create(batch)
            batch = []
    Charge.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_charge")]

    operations = [migrations.RunPython(create_charges, migrations.RunPython.noop)]
