"""Flow data requires authentication by default (`@pytest.mark.auth` tests run with that default):
GRAPHERD_REQUIRE_AUTH=false reopens the Go-compatible routes to anonymous clients, as the Go services
were. The worker route takes GRAPHERD_WORKER_TOKEN or a permission, not any logged-in user."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.users import permission_grant

pytestmark = pytest.mark.django_db

WINDOW = "?start=2019-01-01T00:00:00Z&stop=2019-01-01T01:00:00Z"
JOB = b'{"id":"0b8dd1ea-2d35-5a2f-8ad9-d1a3de1bd0a4","start":"2019-01-01T00:00:00Z","stop":"x"}'
ROOT_REQUESTS = [
    ("post", f"/{WINDOW}", None),
    ("get", f"/{WINDOW}", None),
    ("post", f"/digests/{WINDOW}", None),
    ("get", f"/digests/{WINDOW}", None),
]
WORKER_REQUESTS = [("post", "/topic/event", JOB), ("post", "/digests/topic/event", JOB)]
# Each Go-compatible route with a request it would answer without auth (the worker route: a 400 on the bad stop).
GO_ROUTE_REQUESTS = ROOT_REQUESTS + WORKER_REQUESTS
WORKER_TOKEN = "a-long-random-worker-token"


@pytest.fixture
def token_client(django_user_model: type[User]) -> APIClient:
    user = django_user_model.objects.create_user("pipeline", password="correct horse battery")
    return _client_of(user)


def _client_of(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def call(client: APIClient, method: str, url: str, body: bytes | None, **headers: str) -> int:
    if body is None:
        return int(getattr(client, method)(url, **headers).status_code)
    return int(getattr(client, method)(url, body, content_type="application/json", **headers).status_code)


@pytest.mark.auth
@pytest.mark.parametrize(("method", "url", "body"), GO_ROUTE_REQUESTS)
def test_by_default_anonymous_clients_are_refused_on_every_go_compatible_route(
    method: str, url: str, body: bytes | None
) -> None:
    assert call(APIClient(), method, url, body) in (401, 403)


@pytest.mark.parametrize(("method", "url", "body"), GO_ROUTE_REQUESTS)
def test_with_auth_not_required_the_go_compatible_routes_are_open_as_in_go(
    method: str, url: str, body: bytes | None
) -> None:
    assert call(APIClient(), method, url, body) not in (401, 403)


@pytest.mark.auth
@pytest.mark.parametrize(("method", "url", "body"), ROOT_REQUESTS)
def test_a_token_user_gets_through_the_api_routes(
    token_client: APIClient, method: str, url: str, body: bytes | None
) -> None:
    assert call(token_client, method, url, body) not in (401, 403)


@pytest.mark.auth
def test_a_token_user_can_queue_a_graph(token_client: APIClient) -> None:
    assert token_client.post(f"/{WINDOW}").status_code == 202


@pytest.mark.auth
@pytest.mark.parametrize(("method", "url", "body"), WORKER_REQUESTS)
def test_a_logged_in_user_without_the_permission_cannot_deliver_jobs(
    token_client: APIClient, method: str, url: str, body: bytes
) -> None:
    assert call(token_client, method, url, body) == 403


@pytest.mark.auth
@pytest.mark.parametrize(
    ("url", "permission"),
    [("/topic/event", "graphs.add_graph"), ("/digests/topic/event", "digests.add_digest")],
)
def test_a_user_with_the_add_permission_can_deliver_jobs(
    django_user_model: type[User], url: str, permission: str
) -> None:
    user = django_user_model.objects.create_user("appliance", password="correct horse battery")
    permission_grant(user, permission)
    assert call(_client_of(user), "post", url, JOB) == 400  # let in; the job's bad stop is refused


@pytest.mark.auth
@pytest.mark.parametrize(("method", "url", "body"), WORKER_REQUESTS)
def test_the_worker_token_delivers_jobs(
    set_env: Callable[..., None], method: str, url: str, body: bytes
) -> None:
    set_env(GRAPHERD_WORKER_TOKEN=WORKER_TOKEN)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {WORKER_TOKEN}"}
    assert call(APIClient(), method, url, body, **bearer) == 400


@pytest.mark.auth
def test_a_wrong_worker_token_is_refused(set_env: Callable[..., None]) -> None:
    set_env(GRAPHERD_WORKER_TOKEN=WORKER_TOKEN)
    bearer = {"HTTP_AUTHORIZATION": "Bearer not-the-token"}
    assert call(APIClient(), "post", "/topic/event", JOB, **bearer) in (401, 403)


@pytest.mark.auth
def test_a_bearer_token_is_refused_when_no_worker_token_is_set() -> None:
    bearer = {"HTTP_AUTHORIZATION": "Bearer "}
    assert call(APIClient(), "post", "/topic/event", JOB, **bearer) in (401, 403)


@pytest.mark.auth
def test_a_logged_in_session_gets_through_the_api_routes(django_user_model: type[User]) -> None:
    django_user_model.objects.create_user("analyst", password="correct horse battery")
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="analyst", password="correct horse battery")
    assert client.get(f"/{WINDOW}").status_code == 404  # nothing built yet, but let in


def test_the_v1_api_refuses_anonymous_clients_even_when_go_compatible_routes_are_open() -> None:
    assert APIClient().get("/api/v1/graphs/").status_code == 401
    assert APIClient().post(f"/{WINDOW}").status_code == 202


@pytest.mark.auth
def test_re_running_a_graph_needs_the_change_permission(token_client: APIClient) -> None:
    graph_id = token_client.post(
        "/api/v1/graphs/", {"start": "2019-01-01T00:00:00Z", "stop": "2019-01-01T01:00:00Z"}, format="json"
    ).json()["id"]
    response = token_client.post(f"/api/v1/graphs/{graph_id}/rerun")
    assert response.status_code == 403
    assert response.json() == {"detail": "re-running a graph needs the permission graphs.change_graph"}
