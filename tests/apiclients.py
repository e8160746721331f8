"""API v1 clients for tests."""

from __future__ import annotations

from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def token_client(username: str = "analyst") -> APIClient:
    """A client that sends the token of a new user, as scripts do."""
    user = User.objects.create_user(username, password="correct horse battery")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client
