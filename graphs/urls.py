"""Preview pages (`/graphs/`): login required (`/accounts/login/`, any active user)."""

from django.urls import path

from graphs import views_explorer, views_preview

app_name = "graphs"
urlpatterns = [
    path("", views_preview.graph_list, name="list"),
    path("<uuid:graph_id>/", views_explorer.graph_explorer, name="detail"),
    path("<uuid:graph_id>/view.svg", views_explorer.graph_view_svg, name="view-svg"),
    path("<uuid:graph_id>/svg-preview", views_preview.graph_svg_preview, name="svg-preview"),
    path("<uuid:graph_id>/svg", views_preview.graph_svg, name="svg"),
    path("<uuid:graph_id>/dot", views_preview.graph_dot, name="dot"),
]
