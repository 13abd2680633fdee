"""The professionals' list and detail on the fast read path (``core.api.fastread``): the
scoping of ``professional_list_for`` and the filters of ``ProfessionalFilter``, in SQL.
Other parameters (``profession``, ``ordering``) take the whole stack. Also a professional's
working hours and exceptions (``working_hours_for``, ``schedule_exceptions_for``), where
staff see everyone's and a professional user their own."""

from __future__ import annotations

from core.api.fastread import Condition, FastResource, search_condition

from .models import Professional
from .schedule.models import ScheduleException, WorkingHoursRule
from .schedule.serializers import ScheduleExceptionSerializer, WorkingHoursRuleSerializer
from .schedule.views import ScheduleExceptionViewSet, WorkingHoursViewSet
from .serializers import ProfessionalSerializer
from .views import ProfessionalViewSet


def _search(value: str) -> list[Condition]:
    return search_condition(Professional, ("preferred_name", "profession"), value)


PROFESSIONALS = FastResource(
    prefix="professionals",
    view=ProfessionalViewSet,
    model=Professional,
    order=("preferred_name", "id"),
    list_serializer=ProfessionalSerializer,
    detail_serializer=ProfessionalSerializer,
    filters={"search": _search},
    counted_apart=frozenset({"search"}),
    scope="id",  # a professional user reads their own row
)

WORKING_HOURS = FastResource(
    prefix="professionals/working_hours",
    parent="professional",
    view=WorkingHoursViewSet,
    model=WorkingHoursRule,
    order=("weekday", "start_time", "id"),
    list_serializer=WorkingHoursRuleSerializer,
    detail_serializer=WorkingHoursRuleSerializer,
    scope="professional",
)

SCHEDULE_EXCEPTIONS = FastResource(
    prefix="professionals/schedule_exceptions",
    parent="professional",
    view=ScheduleExceptionViewSet,
    model=ScheduleException,
    order=("date", "start_time", "id"),
    list_serializer=ScheduleExceptionSerializer,
    detail_serializer=ScheduleExceptionSerializer,
    scope="professional",
)
