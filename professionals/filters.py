from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.api.filtering import RequestedFilterSet

from .models import Professional


class ProfessionalFilter(RequestedFilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        label=_("Busca por nome social ou profissão (contém, sem diferenciar maiúsculas)."),
    )
    profession = django_filters.CharFilter(
        field_name="profession",
        lookup_expr="iexact",
        label=_("Profissão exata (sem diferenciar maiúsculas)."),
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("preferred_name", "preferred_name"),
            ("profession", "profession"),
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
        ),
        label=_(
            "Ordenação: preferred_name, profession, created_at, updated_at (prefixo - inverte)."
        ),
    )

    class Meta:
        model = Professional
        fields = ["search", "profession"]

    def filter_search(
        self, queryset: QuerySet[Professional], name: str, value: str
    ) -> QuerySet[Professional]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(preferred_name__icontains=value) | Q(profession__icontains=value))
