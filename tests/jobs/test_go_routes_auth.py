"""The Go-compatible routes are open by default, as the Go services were; GRAPHERD_REQUIRE_AUTH=true
closes them to anonymous clients while token (and session) users get through."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

WINDOW = "?start=2019-01-01T00:00:00Z&stop=2019-01-01T01:00:00Z"
JOB = b'{"id":"0b8dd1ea-2d35-5a2f-8ad9-d1a3de1bd0a4","start":"2019-01-01T00:00:00Z","stop":"x"}'
# Each Go-compatible route with a request it would answer without auth (the worker route: a 400 on the bad stop).
GO_ROUTE_REQUESTS = [
    ("post", f"/{WINDOW}", None),
    ("get", f"/{WINDOW}", None),
    ("post", "/topic/event", JOB),
    ("post", f"/digests/{WINDOW}", None),
    ("get", f"/digests/{WINDOW}", None),
    ("post", "/digests/topic/event", JOB),
]


@pytest.fixture
def require_auth(set_env: Callable[..., None]) -> None:
    set_env(GRAPHERD_REQUIRE_AUTH="true")


@pytest.fixture
def token_client(django_user_model: type[User]) -> APIClient:
    user = django_user_model.objects.create_user("pipeline", password="correct horse battery")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def call(client: APIClient, method: str, url: str, body: bytes | None) -> int:
    if body is None:
        return int(getattr(client, method)(url).status_code)
    return int(getattr(client, method)(url, body, content_type="application/json").status_code)


@pytest.mark.parametrize(("method", "url", "body"), GO_ROUTE_REQUESTS)
def test_go_compatible_routes_are_open_to_anonymous_clients_by_default(
    method: str, url: str, body: bytes | None
) -> None:
    assert call(APIClient(), method, url, body) not in (401, 403)


@pytest.mark.parametrize(("method", "url", "body"), GO_ROUTE_REQUESTS)
def test_with_auth_required_anonymous_clients_are_refused(
    require_auth: None, method: str, url: str, body: bytes | None
) -> None:
    assert call(APIClient(), method, url, body) in (401, 403)


@pytest.mark.parametrize(("method", "url", "body"), GO_ROUTE_REQUESTS)
def test_with_auth_required_a_token_user_gets_through(
    require_auth: None, token_client: APIClient, method: str, url: str, body: bytes | None
) -> None:
    assert call(token_client, method, url, body) not in (401, 403)


def test_with_auth_required_a_token_user_can_queue_a_graph(
    require_auth: None, token_client: APIClient
) -> None:
    assert token_client.post(f"/{WINDOW}").status_code == 202


def test_with_auth_required_a_logged_in_session_gets_through(
    require_auth: None, django_user_model: type[User]
) -> None:
    django_user_model.objects.create_user("analyst", password="correct horse battery")
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="analyst", password="correct horse battery")
    assert client.get(f"/{WINDOW}").status_code == 404  # nothing built yet, but let in


def test_the_v1_api_refuses_anonymous_clients_even_when_go_compatible_routes_are_open() -> None:
    assert APIClient().get("/api/v1/graphs/").status_code == 401
    assert APIClient().post(f"/{WINDOW}").status_code == 202
