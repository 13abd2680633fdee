"""The professionals' list and detail on the fast read path (``core.api.fastread``): the
scoping of ``professional_list_for`` and the filters of ``ProfessionalFilter``, in SQL.
Other parameters (``profession``, ``ordering``) take the whole stack."""

from __future__ import annotations

from core.api.fastread import Condition, FastResource, search_condition

from .models import Professional
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
