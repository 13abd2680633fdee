"""Working hours (weekly rules + exceptions) and the secret calendar feed of a professional.

Times are wall-clock times in ``America/Sao_Paulo`` (``settings.TIME_ZONE``): a rule "Monday
08:00-12:00" means 08:00 local on every Monday, whatever the UTC offset on that date.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 480
DEFAULT_SLOT_MINUTES = 30


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Segunda-feira")
    TUESDAY = 1, _("Terça-feira")
    WEDNESDAY = 2, _("Quarta-feira")
    THURSDAY = 3, _("Quinta-feira")
    FRIDAY = 4, _("Sexta-feira")
    SATURDAY = 5, _("Sábado")
    SUNDAY = 6, _("Domingo")


class ExceptionKind(models.TextChoices):
    DAY_OFF = "DAY_OFF", _("Folga")
    HOLIDAY = "HOLIDAY", _("Feriado")
    EXTRA_HOURS = "EXTRA_HOURS", _("Horário extra")


#: Exception kinds that remove working time (the others add it).
CLOSING_KINDS = (ExceptionKind.DAY_OFF, ExceptionKind.HOLIDAY)


class WorkingHoursRule(models.Model):
    """Every ``weekday`` from ``start_time`` to ``end_time`` (minus ``breaks``), cut into slots
    of ``slot_minutes``, between ``valid_from`` and ``valid_until`` (inclusive, open-ended when
    empty)."""

    professional = models.ForeignKey(
        "professionals.Professional",
        verbose_name=_("profissional"),
        on_delete=models.CASCADE,
        related_name="working_hours",
    )
    weekday = models.PositiveSmallIntegerField(_("dia da semana"), choices=Weekday.choices)
    start_time = models.TimeField(_("início"))
    end_time = models.TimeField(_("fim"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("duração do horário (minutos)"),
        default=DEFAULT_SLOT_MINUTES,
        validators=[MinValueValidator(MIN_SLOT_MINUTES), MaxValueValidator(MAX_SLOT_MINUTES)],
    )
    #: ``[{"start": "12:00", "end": "13:00"}, ...]``, inside [start_time, end_time).
    breaks = models.JSONField(_("intervalos"), default=list, blank=True)
    valid_from = models.DateField(_("válido a partir de"), null=True, blank=True)
    valid_until = models.DateField(_("válido até"), null=True, blank=True)
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    class Meta:
        app_label = "professionals"
        verbose_name = _("regra de horário de atendimento")
        verbose_name_plural = _("regras de horário de atendimento")
        ordering = ["weekday", "start_time", "id"]
        indexes = [
            models.Index(fields=["professional", "weekday"], name="workhours_prof_weekday_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="workhours_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0) & models.Q(weekday__lte=6),
                name="workhours_weekday_range",
            ),
            models.CheckConstraint(
                condition=models.Q(slot_minutes__gte=MIN_SLOT_MINUTES)
                & models.Q(slot_minutes__lte=MAX_SLOT_MINUTES),
                name="workhours_slot_range",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="workhours_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class ScheduleException(models.Model):
    """A date that differs from the weekly rules: a day off, a holiday (closing the whole day,
    or only ``start_time``-``end_time``), or extra hours (opening ``start_time``-``end_time``).

    ``professional`` empty: a national holiday loaded by ``load_holidays``, for everyone.
    """

    professional = models.ForeignKey(
        "professionals.Professional",
        verbose_name=_("profissional"),
        on_delete=models.CASCADE,
        related_name="schedule_exceptions",
        null=True,
        blank=True,
    )
    date = models.DateField(_("data"))
    kind = models.CharField(_("tipo"), max_length=12, choices=ExceptionKind.choices)
    start_time = models.TimeField(_("início"), null=True, blank=True)
    end_time = models.TimeField(_("fim"), null=True, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(
        _("duração do horário (minutos)"),
        default=DEFAULT_SLOT_MINUTES,
        validators=[MinValueValidator(MIN_SLOT_MINUTES), MaxValueValidator(MAX_SLOT_MINUTES)],
    )
    description = models.CharField(_("descrição"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    class Meta:
        app_label = "professionals"
        verbose_name = _("exceção de horário")
        verbose_name_plural = _("exceções de horário")
        ordering = ["date", "start_time", "id"]
        indexes = [
            models.Index(fields=["professional", "date"], name="schedexc_prof_date_idx"),
            models.Index(fields=["date"], name="schedexc_date_idx"),
        ]
        constraints = [
            # Both times or neither; extra hours always need them.
            models.CheckConstraint(
                condition=(
                    models.Q(start_time__isnull=True, end_time__isnull=True)
                    & ~models.Q(kind=ExceptionKind.EXTRA_HOURS)
                )
                | models.Q(
                    start_time__isnull=False,
                    end_time__isnull=False,
                    end_time__gt=models.F("start_time"),
                ),
                name="schedexc_times",
            ),
            models.UniqueConstraint(
                fields=["date"],
                condition=models.Q(professional__isnull=True, kind=ExceptionKind.HOLIDAY),
                name="schedexc_one_national_holiday_per_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


class CalendarFeed(models.Model):
    """The secret URL of a professional's ICS feed. Only a hash of the token is stored: the
    URL is shown once, when created or rotated; deleting the row revokes it."""

    professional = models.OneToOneField(
        "professionals.Professional",
        verbose_name=_("profissional"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token_hash = models.CharField(_("hash do token"), max_length=64, unique=True, editable=False)
    include_patient_name = models.BooleanField(_("mostrar o nome do paciente"), default=False)
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    class Meta:
        app_label = "professionals"
        verbose_name = _("agenda (ICS)")
        verbose_name_plural = _("agendas (ICS)")

    def __str__(self) -> str:
        return f"feed {self.professional_id}"
