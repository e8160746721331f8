"""REST API v1 (`/api/v1/`). Sub-resources have no trailing slash: `/api/v1/graphs/<id>/dot`.

Every answer is gzip-compressed for clients that accept it (`gzip_page`): DOT, JSON and CSV shrink
(a day's DOT 21-fold). Only these routes: the Go-compatible ones must stay byte-exact.
"""

from django.urls import path
from django.views.decorators.gzip import gzip_page

from graphs.api import views, views_connections

app_name = "api"
urlpatterns = [
    path("graphs/", gzip_page(views.GraphListCreateApi.as_view()), name="graph-list"),
    path("graphs/<uuid:graph_id>/", gzip_page(views.GraphDetailApi.as_view()), name="graph-detail"),
    path("graphs/<uuid:graph_id>/dot", gzip_page(views.GraphDotApi.as_view()), name="graph-dot"),
    path("graphs/<uuid:graph_id>/svg", gzip_page(views.GraphSvgApi.as_view()), name="graph-svg"),
    path("graphs/<uuid:graph_id>/rerun", gzip_page(views.GraphRerunApi.as_view()), name="graph-rerun"),
    path(
        "graphs/<uuid:graph_id>/view", gzip_page(views_connections.GraphViewApi.as_view()), name="graph-view"
    ),
    path("graphs/<uuid:graph_id>/top", gzip_page(views_connections.GraphTopApi.as_view()), name="graph-top"),
]
