from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.formatting import format_brl
from core.forms import BRLMoneyField, BRLMoneyInput

from .models import AccessLog, AuditPurge

# The product's name, not Django's, in every admin title and header (pt-BR).
admin.site.site_header = _("Medical API")
admin.site.site_title = _("Medical API")
admin.site.index_title = _("Administração")
admin.site.index_template = "admin/medical_index.html"


def money_column(field: str, label: str) -> Any:
    """A list/readonly column showing ``field`` as ``R$ 1.234,56`` (the admin's one format)."""

    @admin.display(description=label, ordering=field)
    def column(obj: Any) -> str:
        return format_brl(getattr(obj, field))

    column.__name__ = f"{field}_brl"
    return column


def money_field_names(model: type[models.Model]) -> list[str]:
    """Two-place decimals are money in this project (percentages have "percent" in the name)."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.DecimalField)
        and field.decimal_places == 2
        and "percent" not in field.name
    ]


class MoneyAdminMixin:
    """Shows every money field as ``R$ 1.234,56`` in lists and read-only views, and edits it
    as ``1.234,56`` (typed the same way; a ``Decimal`` with two places is saved)."""

    model: type[models.Model]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {field.name: str(field.verbose_name) for field in self.model._meta.concrete_fields}
        self._money = {
            name: money_column(name, labels[name]) for name in money_field_names(self.model)
        }
        for column in self._money.values():
            setattr(self, column.__name__, column)

    def formfield_for_dbfield(
        self, db_field: models.Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name in self._money:
            kwargs = {"form_class": BRLMoneyField, "widget": BRLMoneyInput, **kwargs}
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]

    def _brl(self, names: Any) -> list[Any]:
        return [
            self._money[name].__name__ if isinstance(name, str) and name in self._money else name
            for name in names
        ]

    def get_list_display(self, request: HttpRequest) -> Any:
        return self._brl(super().get_list_display(request))  # type: ignore[misc]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if obj is not None and not self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            # A view-only page shows every field read-only: the money ones formatted.
            return [*self._brl(readonly), *(c.__name__ for c in self._money.values())]
        return self._brl(readonly)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)  # type: ignore[misc]
        readonly = set(self.get_readonly_fields(request, obj))
        return [
            self._money[name].__name__
            if name in self._money and self._money[name].__name__ in readonly
            else name
            for name in fields
        ]


class ReadOnlyAdmin(MoneyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Records kept as evidence (ledgers, audit trails): operators read them, nobody edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    """Who read which personal record, when and from where."""

    list_display = (
        "created_at",
        "actor_username",
        "action",
        "content_type",
        "object_id",
        "ip_address",
    )
    list_filter = ("action", "content_type", "created_at")
    search_fields = ("actor_username", "object_id", "ip_address")
    date_hierarchy = "created_at"
    list_select_related = ("content_type",)


@admin.register(AuditPurge)
class AuditPurgeAdmin(ReadOnlyAdmin):
    """Each run of purge_audit (the purge itself is kept as evidence)."""

    list_display = ("created_at", "performed_by", "retention_days", "forced", "total")
    list_filter = ("forced",)
