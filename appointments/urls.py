from rest_framework.routers import DefaultRouter

from .views import AppointmentViewSet, PatientViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("appointments", AppointmentViewSet, basename="appointment")
router.register("patients", PatientViewSet, basename="patient")

urlpatterns = router.urls
