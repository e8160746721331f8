"""The OpenAPI schema (`/api/schema/`) describes API v1 exactly; Swagger UI (`/api/docs/`) is self-hosted."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

GRAPH = "/api/v1/graphs/{graph_id}/"


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    GENERATOR_STATS.reset()
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def test_the_schema_is_valid_openapi_3_generated_without_warnings(schema: dict[str, Any]) -> None:
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert not GENERATOR_STATS, "drf-spectacular warned while generating the schema (see the test output)"


def test_the_schema_documents_the_v1_routes_only(schema: dict[str, Any]) -> None:
    assert set(schema["paths"]) == {
        "/api/v1/graphs/",
        GRAPH,
        GRAPH + "dot",
        GRAPH + "svg",
        GRAPH + "rerun",
        GRAPH + "view",
        GRAPH + "top",
    }


def test_requesting_a_graph_documents_the_window_body_and_every_answer(schema: dict[str, Any]) -> None:
    create = schema["paths"]["/api/v1/graphs/"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/WindowInput"}
    assert set(schema["components"]["schemas"]["WindowInput"]["required"]) == {"start", "stop"}
    assert set(create["responses"]) == {"202", "400", "401", "409", "503"}


def test_the_list_documents_its_filters_and_pagination(schema: dict[str, Any]) -> None:
    listing = schema["paths"]["/api/v1/graphs/"]["get"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert names == {
        "page",
        "page_size",
        "status",
        "start_from",
        "start_before",
        "created_from",
        "created_before",
    }
    ok = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/PaginatedGraphOutputList"}


def test_a_graph_documents_its_nested_parts(schema: dict[str, Any]) -> None:
    graph = schema["components"]["schemas"]["GraphOutput"]["properties"]
    assert set(graph) == {
        "id", "window", "status", "attempts", "error", "warnings", "complete", "incomplete_reason",
        "rebuild_at", "stage",
        "elapsed", "timings", "figures", "links",
    }  # fmt: skip
    links = schema["components"]["schemas"]["GraphLinks"]["properties"]
    assert set(links) == {"self", "dot", "svg", "rerun", "view", "top", "preview", "seed"}


@pytest.mark.parametrize(("suffix", "media_type"), [("dot", "text/vnd.graphviz"), ("svg", "image/svg+xml")])
def test_artifacts_document_their_media_type_and_json_errors(
    schema: dict[str, Any], suffix: str, media_type: str
) -> None:
    responses = schema["paths"][GRAPH + suffix]["get"]["responses"]
    assert set(responses) == {"200", "401", "404", "409", "503"}
    assert set(responses["200"]["content"]) == {media_type}
    assert set(responses["409"]["content"]) == {"application/json"}


@pytest.mark.parametrize("suffix", ["view", "top"])
def test_connection_views_document_the_503_of_a_table_still_being_built(
    schema: dict[str, Any], suffix: str
) -> None:
    unavailable = schema["paths"][GRAPH + suffix]["get"]["responses"]["503"]
    assert unavailable["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/NotReady"}
    assert set(unavailable["headers"]) == {"Retry-After"}
    assert "retry_after" in schema["components"]["schemas"]["NotReady"]["required"]


def test_the_rerun_documents_its_conflict(schema: dict[str, Any]) -> None:
    rerun = schema["paths"][GRAPH + "rerun"]["post"]
    assert set(rerun["responses"]) == {"202", "400", "401", "403", "404", "409", "503"}
    assert "requestBody" not in rerun  # `reuse_digest` is a query parameter


def test_operations_have_stable_readable_ids(schema: dict[str, Any]) -> None:
    ids = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert ids == {
        "graphs_list",
        "graphs_create",
        "graphs_retrieve",
        "graphs_dot",
        "graphs_svg",
        "graphs_rerun",
        "graphs_view",
        "graphs_top",
    }


def test_every_operation_requires_a_token_or_a_session(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["in"] == "header"
    assert schemes["tokenAuth"]["name"] == "Authorization"
    assert "cookieAuth" in schemes
    for path in schema["paths"].values():
        for operation in path.values():
            assert operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]
            assert "401" in operation["responses"]


def test_swagger_ui_loads_nothing_from_another_host(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    hosts = set(re.findall(r"(?:https?:)?//([A-Za-z0-9.-]+(?::\d+)?)", html))
    assert hosts <= {"testserver"}
    assert "/api/schema/" in html


def test_swagger_ui_assets_are_served_by_grapherd_itself(client: Client) -> None:
    html = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 3  # the CSS, the bundle and the preset
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/")
        assert client.get(asset).status_code == 200, asset
