from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.db import PostgresExclusionConstraint, TsTzRange
from professionals.models import Professional

MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 480
DEFAULT_DURATION_MINUTES = 30


class Appointment(models.Model):
    """A booked slot ``[date, end)`` with one professional."""

    date = models.DateTimeField(_("início"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duração (minutos)"),
        default=DEFAULT_DURATION_MINUTES,
        validators=[
            MinValueValidator(MIN_DURATION_MINUTES),
            MaxValueValidator(MAX_DURATION_MINUTES),
        ],
    )
    end = models.DateTimeField(_("fim"), editable=False)
    professional = models.ForeignKey(
        Professional,
        verbose_name=_("profissional"),
        on_delete=models.CASCADE,
        related_name="appointments",
    )
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    class Meta:
        verbose_name = _("consulta")
        verbose_name_plural = _("consultas")
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["professional", "date"], name="appointment_prof_date_idx"),
            models.Index(fields=["date"], name="appointment_date_idx"),
            models.Index(fields=["created_at"], name="appointment_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=MIN_DURATION_MINUTES)
                & models.Q(duration_minutes__lte=MAX_DURATION_MINUTES),
                name="appointment_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("date")), name="appointment_end_after_start"
            ),
            PostgresExclusionConstraint(
                name="appointment_no_overlap",
                expressions=[
                    (TsTzRange("date", "end", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("professional", RangeOperators.EQUAL),
                ],
                violation_error_message=_("O profissional já tem uma consulta nesse horário."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.professional_id} @ {self.date:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.compute_end()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"date", "duration_minutes"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "end"}
        super().save(*args, **kwargs)

    def compute_end(self) -> None:
        self.end = self.date + timedelta(minutes=self.duration_minutes)

    def clean(self) -> None:
        """Admin forms: report an overlap as a field error on any database."""
        from .selectors import appointment_overlapping

        if self.date is None or self.professional_id is None or self.duration_minutes is None:
            return
        self.compute_end()
        if appointment_overlapping(
            professional_id=self.professional_id, start=self.date, end=self.end, exclude_id=self.pk
        ).exists():
            raise ValidationError({"date": _("O profissional já tem uma consulta nesse horário.")})
