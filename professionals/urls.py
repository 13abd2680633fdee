from typing import Any

from django.urls import path
from rest_framework.routers import DefaultRouter

from .schedule.views import CalendarFeedViewSet, ScheduleExceptionViewSet, WorkingHoursViewSet
from .views import ProfessionalViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("professionals", ProfessionalViewSet, basename="professional")

LIST: dict[str, Any] = {"get": "list", "post": "create"}
DETAIL: dict[str, Any] = {
    "get": "retrieve",
    "put": "update",
    "patch": "partial_update",
    "delete": "destroy",
}
NESTED = "professionals/<int:professional_pk>"

urlpatterns = [
    *router.urls,
    path(
        f"{NESTED}/working_hours/",
        WorkingHoursViewSet.as_view(LIST),
        name="professional-working-hours-list",
    ),
    path(
        f"{NESTED}/working_hours/<int:pk>/",
        WorkingHoursViewSet.as_view(DETAIL),
        name="professional-working-hours-detail",
    ),
    path(
        f"{NESTED}/schedule_exceptions/",
        ScheduleExceptionViewSet.as_view(LIST),
        name="professional-schedule-exceptions-list",
    ),
    path(
        f"{NESTED}/schedule_exceptions/<int:pk>/",
        ScheduleExceptionViewSet.as_view(DETAIL),
        name="professional-schedule-exceptions-detail",
    ),
    path(
        f"{NESTED}/calendar_feed/",
        CalendarFeedViewSet.as_view(
            {"get": "retrieve", "post": "create", "patch": "partial_update", "delete": "destroy"}
        ),
        name="professional-calendar-feed",
    ),
]
