from rest_framework.routers import DefaultRouter

from .views import ProfessionalViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("professionals", ProfessionalViewSet, basename="professional")

urlpatterns = router.urls
