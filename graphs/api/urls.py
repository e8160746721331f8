"""REST API v1 (`/api/v1/`); filled in by the API work."""

from django.urls import path  # noqa: F401

app_name = "api"
urlpatterns: list = []
