"""Admin pages of the schedule models."""

from __future__ import annotations

import pytest
from django.test import Client

from core.tests.factories import ProfessionalFactory
from professionals.models import CalendarFeed, ScheduleException, WorkingHoursRule
from professionals.schedule.services import calendar_feed_rotate

pytestmark = pytest.mark.django_db


def test_schedule_admin_pages(admin_client: Client) -> None:
    professional = ProfessionalFactory.create()
    rule = WorkingHoursRule.objects.create(
        professional=professional, weekday=0, start_time="08:00", end_time="12:00"
    )
    holiday = ScheduleException.objects.create(date="2030-01-01", kind="HOLIDAY")
    feed, _token = calendar_feed_rotate(professional_id=professional.pk)

    pages = [
        "/admin/professionals/workinghoursrule/",
        f"/admin/professionals/workinghoursrule/{rule.pk}/change/",
        "/admin/professionals/scheduleexception/",
        f"/admin/professionals/scheduleexception/{holiday.pk}/change/",
        "/admin/professionals/calendarfeed/",
        f"/admin/professionals/calendarfeed/{feed.pk}/change/",
    ]

    for page in pages:
        assert admin_client.get(page).status_code == 200, page
    assert admin_client.get("/admin/professionals/calendarfeed/add/").status_code == 403
    body = admin_client.get(f"/admin/professionals/calendarfeed/{feed.pk}/change/").content
    assert feed.token_hash.encode() not in body
    assert CalendarFeed.objects.count() == 1
