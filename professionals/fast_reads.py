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


def _schedule_resource(
    inner: str, view: type, model: type, serializer: type, order: tuple[str, ...]
) -> FastResource:
    """A professional's ``/api/professionals/<id>/<inner>/``: rows of that professional."""
    return FastResource(
        prefix=f"professionals/{inner}",
        parent="professional",
        view=view,
        model=model,
        order=order,
        list_serializer=serializer,
        detail_serializer=serializer,
        scope="professional",
    )


WORKING_HOURS = _schedule_resource(
    "working_hours",
    WorkingHoursViewSet,
    WorkingHoursRule,
    WorkingHoursRuleSerializer,
    order=("weekday", "start_time", "id"),
)
SCHEDULE_EXCEPTIONS = _schedule_resource(
    "schedule_exceptions",
    ScheduleExceptionViewSet,
    ScheduleException,
    ScheduleExceptionSerializer,
    order=("date", "start_time", "id"),
)
