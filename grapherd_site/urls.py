from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from digests.views_go import DigestRootView, DigestWorkerView
from graphs.views_go import GraphRootView, GraphWorkerView
from ops.health import healthz

handler404 = "jobs.go_routes.not_found_page"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("graphs.api.urls")),
    path("graphs/", include("graphs.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    # Go-compatible routes. The worker route takes any two path segments, as chi's /{topic}/{event};
    # every other route above ends in a slash or has more segments, so they never collide.
    path("digests/", DigestRootView.as_view(), name="digests-root"),
    re_path(
        r"^digests/(?P<topic>[^/]+)/(?P<event>[^/]+)$", DigestWorkerView.as_view(), name="digests-worker"
    ),
    path("", GraphRootView.as_view(), name="root"),
    re_path(r"^(?P<topic>[^/]+)/(?P<event>[^/]+)$", GraphWorkerView.as_view(), name="worker"),
]
