"""API v1 connection views on a small hand-made window: levels, expand, each filter, top lists, CSV,
and the errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

A = "111111111111"
WEB, APP1, APP2, DB = "10.0.1.10", "10.0.2.11", "10.0.2.12", "10.0.3.20"
CLIENT, SCANNER = "203.0.113.7", "198.51.100.9"
RECORDS = [
    # internet client → web :443, logged at the web ENI (request and reply)
    f"{A} eni-web {CLIENT} {WEB} 40001 443 6 10 1000 ACCEPT OK",
    f"{A} eni-web {WEB} {CLIENT} 443 40001 6 12 50000 ACCEPT OK",
    # web → app1 :8443 and app1 → db :5432, both logged at both ENIs
    *(f"{A} {eni} {WEB} {APP1} 41000 8443 6 5 500 ACCEPT OK" for eni in ("eni-web", "eni-app1")),
    *(f"{A} {eni} {APP1} {WEB} 8443 41000 6 5 4000 ACCEPT OK" for eni in ("eni-web", "eni-app1")),
    *(f"{A} {eni} {APP1} {DB} 42000 5432 6 5 300 ACCEPT OK" for eni in ("eni-app1", "eni-db")),
    *(f"{A} {eni} {DB} {APP1} 5432 42000 6 5 9000 ACCEPT OK" for eni in ("eni-app1", "eni-db")),
    *(f"{A} {eni} {APP2} {DB} 42001 5432 6 2 200 ACCEPT OK" for eni in ("eni-app2", "eni-db")),
    *(f"{A} {eni} {DB} {APP2} 5432 42001 6 2 3000 ACCEPT OK" for eni in ("eni-app2", "eni-db")),
    # a scanner probing the web host, rejected
    f"{A} eni-web {SCANNER} {WEB} 50000 22 6 1 40 REJECT OK",
    f"{A} eni-web {SCANNER} {WEB} 50001 3389 6 1 40 REJECT OK",
    f"{A} eni-db - - - - - - - - NODATA",
]
View = Callable[..., dict[str, Any]]


@pytest.fixture
def view(api: APIClient, build_graph: Callable[[list[str]], str]) -> View:
    graph_id = build_graph(RECORDS)

    def get(path: str = "view", **params: Any) -> dict[str, Any]:
        response = api.get(f"/api/v1/graphs/{graph_id}/{path}", params)
        assert response.status_code == 200, response.content
        return dict(response.json())

    return get


def edges(answer: dict[str, Any]) -> set[tuple[str, str, int, str]]:
    return {(e["client"], e["server"], e["port"], e["action"]) for e in answer["edges"]}


def test_the_host_view_folds_replies_into_client_to_server_connections(view: View) -> None:
    answer = view(group="host")
    assert answer["group"] == "host"
    assert edges(answer) == {
        (CLIENT, WEB, 443, "ACCEPT"), (WEB, APP1, 8443, "ACCEPT"), (APP1, DB, 5432, "ACCEPT"),
        (APP2, DB, 5432, "ACCEPT"), (SCANNER, WEB, 22, "REJECT"), (SCANNER, WEB, 3389, "REJECT"),
    }  # fmt: skip
    db_edge = next(e for e in answer["edges"] if e["client"] == APP1 and e["server"] == DB)
    assert (db_edge["bytes_sent"], db_edge["bytes_received"], db_edge["records"]) == (300, 9000, 4)
    kinds = {node["id"]: node["kind"] for node in answer["nodes"]}
    assert kinds[CLIENT] == kinds[SCANNER] == "internet" and kinds[DB] == "host"


def test_a_node_counts_what_it_sent_and_received_in_both_roles(view: View) -> None:
    nodes = {node["id"]: node for node in view(group="host")["nodes"]}
    assert (nodes[APP1]["bytes_sent"], nodes[APP1]["bytes_received"]) == (4000 + 300, 500 + 9000)


def test_the_subnet_view_groups_private_hosts_by_24_and_the_internet_into_one_node(view: View) -> None:
    answer = view(group="subnet")
    nodes = {node["id"]: node for node in answer["nodes"]}
    assert set(nodes) == {"internet", "subnet:10.0.1.0/24", "subnet:10.0.2.0/24", "subnet:10.0.3.0/24"}
    assert nodes["subnet:10.0.2.0/24"]["members"] == 2
    assert ("internet", "subnet:10.0.1.0/24", 443, "ACCEPT") in edges(answer)
    assert ("subnet:10.0.2.0/24", "subnet:10.0.3.0/24", 5432, "ACCEPT") in edges(answer)


def test_auto_picks_the_finest_level_that_fits_max_nodes(view: View) -> None:
    assert view()["group"] == "host"
    answer = view(max_nodes=4)
    assert answer["group"] == "subnet"
    assert answer["totals"]["levels"] == {"host": 6, "subnet": 4, "vpc": 2, "account": 2}


def test_the_account_view_without_enrichment_groups_by_the_logging_enis_account(view: View) -> None:
    ids = {node["id"] for node in view(group="account")["nodes"]}
    assert ids == {"internet", f"account:{A}"}


def test_expand_opens_one_group_and_leaves_the_rest_grouped(view: View) -> None:
    ids = {node["id"] for node in view(group="subnet", expand="subnet:10.0.2.0/24")["nodes"]}
    assert ids == {"internet", "subnet:10.0.1.0/24", APP1, APP2, "subnet:10.0.3.0/24"}


def test_a_view_above_max_nodes_keeps_the_heaviest_nodes_and_says_so(view: View) -> None:
    answer = view(group="host", max_nodes=2)
    assert answer["truncated"] is True
    assert len(answer["nodes"]) == 2 and answer["totals"]["nodes"] == 6
    kept = {node["id"] for node in answer["nodes"]}
    assert all(e["client"] in kept and e["server"] in kept for e in answer["edges"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"port": "5432"}, {(APP1, DB), (APP2, DB)}),
        ({"port": "1-100,8000-9000"}, {(SCANNER, WEB), (WEB, APP1)}),
        ({"protocol": "udp"}, set()),
        ({"protocol": "tcp", "action": "reject"}, {(SCANNER, WEB)}),
        ({"address": DB}, {(APP1, DB), (APP2, DB)}),
        ({"client": "10.0.2.0/24"}, {(APP1, DB), (APP2, DB)}),
        ({"server": "10.0.1.0/24", "action": "accept"}, {(CLIENT, WEB)}),
        ({"eni": "eni-app2"}, {(APP2, DB)}),
        ({"account": "999999999999"}, set()),
        ({"min_bytes": "10000"}, {(CLIENT, WEB)}),
        ({"internet": "in"}, {(CLIENT, WEB), (SCANNER, WEB)}),
        ({"internet": "out"}, set()),
        ({"search": "10.0.3"}, {(APP1, DB), (APP2, DB)}),
    ],
)
def test_each_filter_keeps_only_its_connections(
    view: View, params: dict[str, str], expected: set[Any]
) -> None:
    assert {(c, s) for c, s, _, _ in edges(view(group="host", **params))} == expected


def test_top_talkers_servers_ports_and_rejected_sources(view: View) -> None:
    talkers = view("top", of="talkers")["rows"]
    assert talkers[0]["key"] == WEB and talkers[0]["bytes"] == 1000 + 50000 + 500 + 4000 + 80
    servers = view("top", of="servers", by="connections")["rows"]
    assert (servers[0]["key"], servers[0]["connections"]) in {(DB, 2), (WEB, 2)}
    assert [row["key"] for row in view("top", of="rejected")["rows"]] == [SCANNER]
    ports = {(row["key"], row["label"]) for row in view("top", of="ports")["rows"]}
    assert (5432, "5432/tcp") in ports
    assert [row["key"] for row in view("top", of="internet_in")["rows"]] == [WEB]
    assert view("top", of="internet_out")["rows"] == []


def test_csv_answers_the_same_rows(api: APIClient, view: View) -> None:
    graph_view = view(group="host", port="5432")
    graph_id = api.get("/api/v1/graphs/").json()["results"][0]["id"]
    response = api.get(f"/api/v1/graphs/{graph_id}/view", {"group": "host", "port": "5432", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert (
        lines[0]
        == "client,client_label,server,server_label,port,protocol,action,bytes_sent,bytes_received,packets,records,paths"
    )
    assert len(lines) == 1 + len(graph_view["edges"])
    top = api.get(f"/api/v1/graphs/{graph_id}/top", {"of": "rejected", "format": "csv"}).content.decode()
    assert top.splitlines() == ["key,label,bytes,packets,connections", f"{SCANNER},{SCANNER},80,2,2"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"port": "https"}, "port"),
        ({"port": "70000"}, "port"),
        ({"protocol": "smtp"}, "protocol"),
        ({"address": "10.0.0.0/33"}, "address"),
        ({"min_bytes": "-1"}, "min_bytes"),
        ({"internet": "sideways"}, "internet"),
        ({"group": "region"}, "group"),
        ({"max_nodes": "0"}, "max_nodes"),
    ],
)
def test_a_value_that_cannot_be_parsed_is_a_400_naming_the_parameter(
    api: APIClient, view: View, params: dict[str, str], parameter: str
) -> None:
    graph_id = api.get("/api/v1/graphs/").json()["results"][0]["id"]
    response = api.get(f"/api/v1/graphs/{graph_id}/view", params)
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter and parameter in response.json()["detail"]


def test_a_graph_that_is_not_done_has_no_view_yet(
    api: APIClient, build_graph: Callable[[list[str]], str]
) -> None:
    graph_id = build_graph(RECORDS)
    api.post(f"/api/v1/graphs/{graph_id}/rerun")
    response = api.get(f"/api/v1/graphs/{graph_id}/view")
    assert response.status_code == 409


def test_the_view_needs_authentication(client: Any, view: View) -> None:
    graph_id = "96069e46-92fe-5bb8-aa83-14139ca72643"
    assert client.get(f"/api/v1/graphs/{graph_id}/view").status_code in (401, 403)


def test_a_graph_without_table_or_stored_digest_is_a_409_saying_to_rerun_it(
    api: APIClient, view: View, settings: Any
) -> None:
    from django.core.files.storage import storages

    from connections.table import tables_forget

    graph_id = api.get("/api/v1/graphs/").json()["results"][0]["id"]
    for alias, suffixes in (
        ("graphs", (".connections.parquet", ".hosts.parquet")),
        ("digests", (".log.gz",)),
    ):
        for name in storages[alias].listdir("")[1]:
            if name.endswith(suffixes):
                storages[alias].delete(name)
    tables_forget()
    response = api.get(f"/api/v1/graphs/{graph_id}/view")
    assert response.status_code == 409 and "re-run" in response.json()["detail"]


def test_a_rendered_answer_lets_go_of_its_rows(api: APIClient, view: View) -> None:
    # A DRF response and its view hold each other (renderer context) until the garbage collector's next
    # full pass; a host view of a large VPC holds tens of MB of rows, so the rows go once rendered.
    graph_id = api.get("/api/v1/graphs/").json()["results"][0]["id"]
    for path in ("view", "top"):
        response = api.get(f"/api/v1/graphs/{graph_id}/{path}", {"group": "host"})
        assert response.status_code == 200 and response.json()
        assert response.data is None
