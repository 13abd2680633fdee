"""The e-mail reminder a patient gets before the appointment (once per appointment).

Each appointment is claimed with a conditional UPDATE (``reminder_sent_at IS NULL``) before
the e-mail goes out, so two runs of the task at the same time never send two reminders; if
sending fails the claim is released and the next run tries again.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import HOLDS_SLOT, Appointment, BookingStatus

logger = logging.getLogger("appointments.reminders")
BATCH = 500


def reminders_due(*, now: dt.datetime) -> list[int]:
    """Appointments starting within the reminder horizon, not reminded yet, still on, with a
    patient e-mail (partial index ``appointment_reminder_due_idx``)."""
    horizon = now + dt.timedelta(hours=settings.APPOINTMENT_REMINDER_HOURS)
    return list(
        Appointment.objects.filter(
            HOLDS_SLOT,
            reminder_sent_at__isnull=True,
            date__gt=now,
            date__lte=horizon,
            booking_status__in=(BookingStatus.SCHEDULED, BookingStatus.CONFIRMED),
            patient__isnull=False,
        )
        .exclude(patient__email="")
        .order_by("date")
        .values_list("pk", flat=True)[:BATCH]
    )


def appointment_reminder_send(*, appointment_id: int, now: dt.datetime) -> bool:
    claimed = Appointment.objects.filter(
        HOLDS_SLOT,
        pk=appointment_id,
        reminder_sent_at__isnull=True,
        booking_status__in=(BookingStatus.SCHEDULED, BookingStatus.CONFIRMED),
    ).update(reminder_sent_at=now)
    if not claimed:
        return False
    appointment = (
        Appointment.objects.select_related("patient", "professional")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None or appointment.patient is None or not appointment.patient.email:
        return False
    when = date_format(timezone.localtime(appointment.date), "d/m/Y \\à\\s H:i")
    body = _(
        "Olá, %(name)s.\n\nLembrete: sua consulta com %(professional)s é em %(when)s "
        "(horário de Brasília).\nEndereço: %(address)s\n\nSe não puder comparecer, avise com "
        "antecedência.\n"
    ) % {
        "name": appointment.patient.name,
        "professional": appointment.professional.preferred_name,
        "when": when,
        "address": appointment.professional.address,
    }
    try:
        send_mail(
            subject=f"[Medical API] {_('Lembrete de consulta')}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[appointment.patient.email],
        )
    except (OSError, ValueError):  # SMTP errors are OSErrors
        Appointment.objects.filter(pk=appointment_id, reminder_sent_at=now).update(
            reminder_sent_at=None
        )
        logger.warning("reminder not sent appointment=%s", appointment_id)
        return False
    return True


def appointment_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Send the due reminders; returns how many were sent."""
    moment = now or timezone.now()
    return sum(
        appointment_reminder_send(appointment_id=pk, now=moment) for pk in reminders_due(now=moment)
    )
