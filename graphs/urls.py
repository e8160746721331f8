"""Preview pages (`/graphs/`): login required (`/accounts/login/`, any active user). The stored files and
exports are gzip-compressed for browsers that accept it."""

from django.urls import path
from django.views.decorators.gzip import gzip_page

from graphs import views_explorer, views_preview

app_name = "graphs"
urlpatterns = [
    path("", views_preview.graph_list, name="list"),
    path("<uuid:graph_id>/", views_explorer.graph_explorer, name="detail"),
    path("<uuid:graph_id>/view.svg", gzip_page(views_explorer.graph_view_svg), name="view-svg"),
    path("<uuid:graph_id>/svg-preview", views_preview.graph_svg_preview, name="svg-preview"),
    path("<uuid:graph_id>/svg", gzip_page(views_preview.graph_svg), name="svg"),
    path("<uuid:graph_id>/dot", gzip_page(views_preview.graph_dot), name="dot"),
]
