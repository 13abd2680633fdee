"""Write operations on working hours, schedule exceptions, calendar feeds and holidays."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import BusinessRuleError, NotFoundError

from .models import CalendarFeed, ExceptionKind, ScheduleException, WorkingHoursRule

RULE_FIELDS = (
    "weekday",
    "start_time",
    "end_time",
    "slot_minutes",
    "breaks",
    "valid_from",
    "valid_until",
)
EXCEPTION_FIELDS = ("date", "kind", "start_time", "end_time", "slot_minutes", "description")


def _apply(instance: Any, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for name in allowed:
        if name in data:
            setattr(instance, name, data[name])
    try:
        instance.full_clean(exclude=["professional"])
    except ValidationError as error:
        # The API validates first; this is the net for other callers (a 400, never a 500).
        field, messages = next(iter(error.message_dict.items()))
        raise BusinessRuleError(
            str(messages[0]), field=None if field == NON_FIELD_ERRORS else field
        ) from error
    instance.save()


@transaction.atomic
def working_hours_rule_create(*, professional_id: int, data: dict[str, Any]) -> WorkingHoursRule:
    rule = WorkingHoursRule(professional_id=professional_id)
    _apply(rule, data, RULE_FIELDS)
    return rule


@transaction.atomic
def working_hours_rule_update(*, rule: WorkingHoursRule, data: dict[str, Any]) -> WorkingHoursRule:
    locked = WorkingHoursRule.objects.select_for_update().filter(pk=rule.pk).first()
    if locked is None:
        raise NotFoundError(_("Não encontrado."))
    _apply(locked, data, RULE_FIELDS)
    return locked


@transaction.atomic
def working_hours_rule_delete(*, rule: WorkingHoursRule) -> None:
    WorkingHoursRule.objects.filter(pk=rule.pk).delete()


@transaction.atomic
def schedule_exception_create(*, professional_id: int, data: dict[str, Any]) -> ScheduleException:
    item = ScheduleException(professional_id=professional_id)
    _apply(item, data, EXCEPTION_FIELDS)
    return item


@transaction.atomic
def schedule_exception_update(
    *, exception: ScheduleException, data: dict[str, Any]
) -> ScheduleException:
    locked = ScheduleException.objects.select_for_update().filter(pk=exception.pk).first()
    if locked is None:
        raise NotFoundError(_("Não encontrado."))
    _apply(locked, data, EXCEPTION_FIELDS)
    return locked


@transaction.atomic
def schedule_exception_delete(*, exception: ScheduleException) -> None:
    ScheduleException.objects.filter(pk=exception.pk).delete()


def calendar_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_rotate(
    *, professional_id: int, include_patient_name: bool | None = None
) -> tuple[CalendarFeed, str]:
    """Create the feed or give it a new token (the old URL stops working). Returns the feed
    and the token, which is not stored and cannot be shown again."""
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.select_for_update().filter(professional_id=professional_id).first()
    if feed is None:
        feed = CalendarFeed(professional_id=professional_id)
    feed.token_hash = calendar_token_hash(token)
    if include_patient_name is not None:
        feed.include_patient_name = include_patient_name
    feed.save()
    return feed, token


@transaction.atomic
def calendar_feed_update(*, professional_id: int, include_patient_name: bool) -> CalendarFeed:
    feed = CalendarFeed.objects.select_for_update().filter(professional_id=professional_id).first()
    if feed is None:
        raise NotFoundError(_("Este profissional não tem agenda publicada."))
    feed.include_patient_name = include_patient_name
    feed.save(update_fields=["include_patient_name", "updated_at"])
    return feed


@transaction.atomic
def calendar_feed_revoke(*, professional_id: int) -> None:
    deleted, _rows = CalendarFeed.objects.filter(professional_id=professional_id).delete()
    if not deleted:
        raise NotFoundError(_("Este profissional não tem agenda publicada."))


def calendar_feed_by_token(*, token: str) -> CalendarFeed | None:
    if not token or len(token) > 128:
        return None
    return (
        CalendarFeed.objects.select_related("professional")
        .filter(token_hash=calendar_token_hash(token))
        .first()
    )


@transaction.atomic
def holidays_load(*, years: list[int]) -> tuple[int, int]:
    """Brazilian national holidays of ``years`` (from the ``holidays`` library) as national
    HOLIDAY exceptions. Safe to run again: returns (created, updated)."""
    import holidays

    created = updated = 0
    for year in years:
        for day, name in sorted(
            holidays.country_holidays("BR", years=year, language="pt_BR").items()
        ):
            _item, was_created = ScheduleException.objects.update_or_create(
                professional=None,
                kind=ExceptionKind.HOLIDAY,
                date=day,
                defaults={"description": str(name)[:255]},
            )
            if was_created:
                created += 1
            else:
                updated += 1
    return created, updated
