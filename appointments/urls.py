from django.urls import path
from rest_framework.routers import DefaultRouter

from .availability_views import AvailabilitySearchView, ProfessionalAvailabilityView
from .lifecycle_views import AppointmentBookingViewSet, CalendarFeedView
from .views import AppointmentViewSet, PatientViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("appointments", AppointmentViewSet, basename="appointment")
router.register("appointments", AppointmentBookingViewSet, basename="appointment-booking")
router.register("patients", PatientViewSet, basename="patient")

urlpatterns = [
    *router.urls,
    path(
        "professionals/<int:professional_pk>/availability/",
        ProfessionalAvailabilityView.as_view(),
        name="professional-availability",
    ),
    path("availability/", AvailabilitySearchView.as_view(), name="availability-search"),
    path("calendar/<str:token>.ics", CalendarFeedView.as_view(), name="calendar-feed"),
]
