from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .dashboard import dashboard_data
from .metrics import payment_metrics
from .models import Charge, PaymentTransaction, ReconciliationRun, WebhookEvent


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(ReadOnlyAdmin):
    change_list_template = "admin/payments/paymenttransaction/change_list.html"
    list_display = (
        "created_at",
        "transaction_type",
        "status",
        "amount",
        "appointment",
        "professional",
        "asaas_payment_id",
    )
    list_filter = ("transaction_type", "status", "created_at")
    list_select_related = ("appointment__patient", "appointment__professional", "professional")
    search_fields = ("asaas_payment_id", "appointment__id", "=request_id")
    date_hierarchy = "created_at"

    def get_urls(self) -> list[URLPattern]:
        dashboard = path(
            "dashboard/",
            self.admin_site.admin_view(self.dashboard_view),
            name="payments_dashboard",
        )
        return [dashboard, *super().get_urls()]

    def dashboard_view(self, request: HttpRequest) -> TemplateResponse:
        """Charts of the last 14 days (drawn from local static files: no CDN, no inline JS)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Painel de pagamentos"),
            "opts": self.model._meta,
            "dashboard": dashboard_data(days=14),
        }
        return TemplateResponse(request, "admin/payments/dashboard.html", context)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        extra_context = {**(extra_context or {}), "payment_metrics": payment_metrics(days=7)}
        response = super().changelist_view(request, extra_context=extra_context)
        assert isinstance(response, TemplateResponse)
        return response


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "event_type", "outcome", "asaas_payment_id", "attempts")
    list_filter = ("outcome", "event_type", "received_at")
    search_fields = ("event_id", "asaas_payment_id", "=request_id")
    date_hierarchy = "received_at"


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    """Payment state is written only through the transition table: operators read it here
    and act through the API actions (cancel, refund, resubmit) or reconcile_payments."""

    list_display = (
        "appointment",
        "status",
        "asaas_status",
        "value",
        "refunded_amount",
        "asaas_payment_id",
        "attempts",
        "updated_at",
    )
    list_filter = ("status", "asaas_status", "reread_only")
    list_select_related = ("appointment__patient", "appointment__professional")
    search_fields = ("asaas_payment_id", "appointment__id")
    date_hierarchy = "created_at"


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "finished_at", "checked", "drift_found", "drift_fixed", "fixed")
    date_hierarchy = "started_at"
