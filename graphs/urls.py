"""Preview pages (`/graphs/`); filled in by the preview work."""

from django.urls import path  # noqa: F401

app_name = "graphs"
urlpatterns: list = []
