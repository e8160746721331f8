"""REST API v1 (`/api/v1/`). Sub-resources have no trailing slash: `/api/v1/graphs/<id>/dot`."""

from django.urls import path

from graphs.api import views, views_connections

app_name = "api"
urlpatterns = [
    path("graphs/", views.GraphListCreateApi.as_view(), name="graph-list"),
    path("graphs/<uuid:graph_id>/", views.GraphDetailApi.as_view(), name="graph-detail"),
    path("graphs/<uuid:graph_id>/dot", views.GraphDotApi.as_view(), name="graph-dot"),
    path("graphs/<uuid:graph_id>/svg", views.GraphSvgApi.as_view(), name="graph-svg"),
    path("graphs/<uuid:graph_id>/rerun", views.GraphRerunApi.as_view(), name="graph-rerun"),
    path("graphs/<uuid:graph_id>/view", views_connections.GraphViewApi.as_view(), name="graph-view"),
    path("graphs/<uuid:graph_id>/top", views_connections.GraphTopApi.as_view(), name="graph-top"),
]
