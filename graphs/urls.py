"""Preview pages (`/graphs/`): login required (`/accounts/login/`, any active user)."""

from django.urls import path

from graphs import views_preview

app_name = "graphs"
urlpatterns = [
    path("", views_preview.graph_list, name="list"),
    path("<uuid:graph_id>/", views_preview.graph_detail, name="detail"),
    path("<uuid:graph_id>/svg", views_preview.graph_svg, name="svg"),
    path("<uuid:graph_id>/dot", views_preview.graph_dot, name="dot"),
]
