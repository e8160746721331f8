"""API v1 clients for tests."""

from __future__ import annotations

from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.users import permission_grant


def token_client(username: str = "analyst", *permissions: str) -> APIClient:
    """A client that sends the token of a new user holding `permissions` (e.g. "graphs.change_graph"),
    as scripts do."""
    user = User.objects.create_user(username, password="correct horse battery")
    for permission in permissions:
        permission_grant(user, permission)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client
