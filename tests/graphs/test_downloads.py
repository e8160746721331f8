"""Stored artifacts as people fetch them: gzip-compressed when the client accepts it, named after the
window; the Go-compatible routes stay byte-exact; a browser opening `/` is sent to the graphs page."""

from __future__ import annotations

import gzip

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from graphs.models import Graph
from tests.graphs.small_vpc import START, STOP

pytestmark = pytest.mark.django_db
NAME = "graph_2019-01-01T0000Z_2019-01-01T0100Z"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
SEED = f"/?start={START}&stop={STOP}"


@pytest.fixture
def reader(client: Client) -> Client:
    client.force_login(User.objects.create_user("reader", password="not-used"))
    return client


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.create_user("api-user", password="not-used"))
    return client


def body(response: object) -> bytes:
    streaming = getattr(response, "streaming", False)
    return b"".join(response.streaming_content) if streaming else response.content  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "marker"),
    [
        ("/graphs/{id}/dot", b"digraph {"),
        ("/graphs/{id}/svg?download=1", b"<svg"),
        ("/graphs/{id}/view.svg?group=host", b"<svg"),
    ],
)
def test_page_downloads_are_gzipped_for_browsers_that_accept_it(
    reader: Client, graph: Graph, url: str, marker: bytes
) -> None:
    plain = reader.get(url.format(id=graph.id))
    packed = reader.get(url.format(id=graph.id), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert not plain.has_header("Content-Encoding")
    text = body(plain)
    assert marker in text
    assert gzip.decompress(body(packed)) == text


@pytest.mark.parametrize("path", ["/", "/dot", "/svg", "/view?group=subnet", "/top?format=csv"])
def test_api_answers_are_gzipped_when_accepted(api: APIClient, graph: Graph, path: str) -> None:
    url = f"/api/v1/graphs/{graph.id}{path}"
    plain = api.get(url)
    packed = api.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert (plain.status_code, packed.status_code) == (200, 200)
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(body(packed)) == body(plain)


def test_the_go_compatible_dot_is_never_compressed(graph: Graph) -> None:
    plain = Client().get(SEED)
    asked = Client().get(SEED, HTTP_ACCEPT_ENCODING="gzip")
    assert not asked.has_header("Content-Encoding")
    text = body(plain)
    assert text.startswith(b"digraph {")
    assert body(asked) == text


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/graphs/{id}/dot", f'attachment; filename="{NAME}.dot"'),
        ("/graphs/{id}/svg?download=1", f'attachment; filename="{NAME}.svg"'),
        ("/graphs/{id}/view.svg?group=subnet", f'attachment; filename="{NAME}_subnet.svg"'),
        ("/api/v1/graphs/{id}/dot", f'inline; filename="{NAME}.dot"'),
        ("/api/v1/graphs/{id}/view?format=csv", f'attachment; filename="{NAME}_view.csv"'),
        ("/api/v1/graphs/{id}/top?format=csv&of=ports", f'attachment; filename="{NAME}_top-ports.csv"'),
    ],
)
def test_downloads_are_named_after_the_window(reader: Client, graph: Graph, url: str, name: str) -> None:
    response = reader.get(url.format(id=graph.id))
    assert response.status_code == 200
    assert response["Content-Disposition"] == name


# --- the home page for browsers ---------------------------------------------------------------------


def test_a_browser_opening_the_root_is_sent_to_the_graphs_page(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 302
    assert response["Location"] == "/graphs/"


@pytest.mark.auth
def test_an_anonymous_browser_is_sent_to_the_graphs_page_which_asks_it_to_log_in(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT=BROWSER_ACCEPT)
    assert (response.status_code, response["Location"]) == (302, "/graphs/")
    assert client.get("/graphs/").status_code == 302  # to the login page
    assert client.get("/?start=2019-01-01T00:00:00Z&stop=2019-01-01T01:00:00Z").status_code == 401


@pytest.mark.parametrize(
    ("url", "accept"),
    [
        ("/", None),  # Go's http.Client and curl send no Accept or */*
        ("/", "*/*"),
        ("/", "application/json"),
        ("/", "application/json, text/html;q=0.5"),
        ("/?start=&stop=", BROWSER_ACCEPT),  # any query: Go's answer, even to a browser
        ("/digests/", BROWSER_ACCEPT),  # only grapherd's root
    ],
)
def test_go_clients_keep_gos_answer_at_the_root(client: Client, url: str, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get(url, headers=headers)
    assert response.status_code == 400
    assert response.json()["message"].startswith('parsing time "" as ')
