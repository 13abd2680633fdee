from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import AppointmentPaymentViewSet, AsaasWebhookView, PaymentMetricsView

router = SimpleRouter(trailing_slash=True)
router.register("appointments", AppointmentPaymentViewSet, basename="appointment-payment")

urlpatterns = [
    path("payments/webhooks/asaas/", AsaasWebhookView.as_view(), name="asaas-webhook"),
    path("payments/metrics/", PaymentMetricsView.as_view(), name="payment-metrics"),
    *router.urls,
]
