"""E-mails to the patient after a payment changes state (sent by Django's e-mail backend)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appointments.models import Appointment, PaymentStatus

SUBJECTS = {
    PaymentStatus.PAID: gettext_lazy("Pagamento confirmado"),
    PaymentStatus.CANCELED: gettext_lazy("Cobrança cancelada"),
    PaymentStatus.REFUNDED: gettext_lazy("Pagamento reembolsado"),
}


def appointment_notify(*, appointment_id: int, status: str) -> bool:
    """Tell the patient; returns whether an e-mail was sent.

    Only sends while the appointment is still in ``status``, so a late retry never announces
    a state the appointment has already left. Delivery is at least once.
    """
    appointment = (
        Appointment.objects.select_related("patient", "professional")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None or appointment.status != status or status not in SUBJECTS:
        return False
    patient = appointment.patient
    if patient is None or not patient.email:
        return False
    when = date_format(timezone.localtime(appointment.date), "d/m/Y H:i")
    body = _(
        "Olá, %(name)s.\n\nConsulta de %(when)s com %(professional)s: %(status)s.\n"
        "Valor: R$ %(amount)s.\n"
    ) % {
        "name": patient.name,
        "when": when,
        "professional": appointment.professional.preferred_name,
        "status": appointment.get_status_display().lower(),
        "amount": appointment.total_amount,
    }
    send_mail(
        subject=f"[Medical API] {SUBJECTS[PaymentStatus(status)]}",
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[patient.email],
    )
    return True
