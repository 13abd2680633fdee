"""ICS (RFC 5545) for calendar apps: a professional's feed and a single appointment.

Events carry the local time zone (a VTIMEZONE for America/Sao_Paulo is included), never the
patient's CPF, and the patient's name only when the professional opted in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.renderers import BaseRenderer, JSONRenderer

from professionals.models import Professional

from .models import HOLDS_SLOT, Appointment, BookingStatus

PRODID = "-//Medical API//Agenda//PT-BR"
UID_DOMAIN = "medical-api"
#: The feed shows appointments from this far back to this far ahead (and at most FEED_LIMIT).
FEED_PAST = dt.timedelta(days=90)
FEED_FUTURE = dt.timedelta(days=366)
FEED_LIMIT = 2000
ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"

_EVENT_STATUS = {
    BookingStatus.SCHEDULED: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
    BookingStatus.NO_SHOW: "CONFIRMED",
    BookingStatus.CANCELLED_BY_PATIENT: "CANCELLED",
    BookingStatus.CANCELLED_BY_PROFESSIONAL: "CANCELLED",
}


class ICSRenderer(BaseRenderer):
    """Lets clients ask for ``text/calendar``; views return the ICS bytes themselves, and
    errors are rendered as JSON."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        rendered: bytes = JSONRenderer().render(data)
        return rendered


def _event(appointment: Appointment, *, include_patient_name: bool) -> icalendar.Event:
    zone = timezone.get_default_timezone()
    event = icalendar.Event()
    event.add("uid", f"appointment-{appointment.pk}@{UID_DOMAIN}")
    event.add("dtstamp", appointment.updated_at.astimezone(dt.UTC))
    event.add("created", appointment.created_at.astimezone(dt.UTC))
    event.add("last-modified", appointment.updated_at.astimezone(dt.UTC))
    event.add("dtstart", appointment.date.astimezone(zone))
    event.add("dtend", appointment.end.astimezone(zone))
    summary = _("Consulta")
    patient = appointment.patient
    if include_patient_name and patient is not None:
        summary = _("Consulta: %(name)s") % {"name": patient.name}
    event.add("summary", summary)
    event.add("location", appointment.professional.address)
    event.add(
        "description",
        _("Situação: %(booking)s. Pagamento: %(payment)s.")
        % {
            "booking": appointment.get_booking_status_display(),
            "payment": appointment.get_status_display(),
        },
    )
    event.add("status", _EVENT_STATUS.get(BookingStatus(appointment.booking_status), "TENTATIVE"))
    event.add("transp", "OPAQUE")
    return event


def _calendar(name: str, events: Iterable[icalendar.Event]) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    ics: bytes = calendar.to_ical()
    return ics


def feed_appointments(*, professional_id: int, now: dt.datetime) -> list[Appointment]:
    return list(
        Appointment.objects.filter(
            HOLDS_SLOT,
            professional_id=professional_id,
            date__gte=now - FEED_PAST,
            date__lt=now + FEED_FUTURE,
        )
        .select_related("patient", "professional")
        .order_by("date", "id")[:FEED_LIMIT]
    )


def professional_feed_ics(*, professional: Professional, include_patient_name: bool) -> bytes:
    """The feed: the professional's appointments that still hold their slot."""
    appointments = feed_appointments(professional_id=professional.pk, now=timezone.now())
    return _calendar(
        _("Consultas — %(name)s") % {"name": professional.preferred_name},
        (_event(item, include_patient_name=include_patient_name) for item in appointments),
    )


def appointment_ics(*, appointment: Appointment) -> bytes:
    """One appointment (cancelled ones as STATUS:CANCELLED, so calendars drop them)."""
    feed = getattr(appointment.professional, "calendar_feed", None)
    include = bool(feed is not None and feed.include_patient_name)
    return _calendar(_("Consulta"), [_event(appointment, include_patient_name=include)])
