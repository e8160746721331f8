"""Connection views on a realistic generated VPC (tests/vpcgen.py), against its known truth: the views
recover every connection exactly, the app tier → PostgreSQL on 5432, the ALBs as the only servers of
internet clients on 443, the scanners as rejected sources, and enrichment names the nodes."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from graphs.tasks import graph_run_task
from jobs.window import window_parse
from tests.vpcgen import PROD_ACCOUNT, Truth, vpc_generate

pytestmark = pytest.mark.django_db
START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"


@pytest.fixture
def truth(flowlogs_dir: Path) -> Truth:
    return vpc_generate(flowlogs_dir, datetime(2019, 1, 1, tzinfo=UTC), 1)


@pytest.fixture
def graph(api: APIClient, truth: Truth) -> str:
    assert api.post("/api/v1/graphs/", {"start": START, "stop": STOP}, format="json").status_code == 202
    graph_id = window_parse(START, STOP).job_id("graph")
    assert graph_run_task(graph_id) == "done"
    return graph_id


def get(api: APIClient, graph: str, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(f"/api/v1/graphs/{graph}/{path}", params)
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_the_host_view_holds_exactly_the_connections_the_vpc_made(
    api: APIClient, graph: str, truth: Truth
) -> None:
    actions: dict[tuple[str, str, int, int], set[str]] = defaultdict(set)
    for connection in truth.connections:
        # A probe the digest kept the source port of (lower than the probed port) has an unknown port: 0.
        unknown = (
            connection.action == "REJECT" and connection.client in truth.scanners and connection.port > 1023
        )
        key = connection.client, connection.server, connection.port, connection.protocol
        actions[key].add(connection.action)
        if unknown:  # either port may stand: decided below against what was drawn
            actions[(*key[:2], 0, key[3])].add("maybe")
    view = get(api, graph, "view", group="host", max_nodes=100_000, max_ports=65536)
    drawn = {(e["client"], e["server"], e["port"], e["protocol"]): e["action"] for e in view["edges"]}
    assert view["truncated"] is False
    for key, action in drawn.items():
        seen = actions.get(key, set()) - {"maybe"}
        if key[2] == 0 and not seen:
            assert "maybe" in actions.get(key, set()) and action == "REJECT", key  # probes of unknown port
        else:
            assert action == ("MIXED" if len(seen) > 1 else next(iter(seen))), key
    missing = {key for key, seen in actions.items() if seen - {"maybe"} and key not in drawn}
    # every connection is drawn, but a probe whose port the digest lost is drawn with port 0
    assert all((*key[:2], 0, key[3]) in drawn for key in missing), sorted(missing)[:5]


def test_the_app_tier_is_what_talks_to_postgres_on_5432(api: APIClient, graph: str, truth: Truth) -> None:
    view = get(api, graph, "view", group="host", port="5432", action="accept", max_nodes=100_000)
    clients = {e["client"] for e in view["edges"]}
    servers = {e["server"] for e in view["edges"]}
    assert servers == set(truth.db_addresses)
    assert clients == {host.address for host in truth.hosts if host.role in ("app", "worker", "bastion")} - {
        host.address for host in truth.hosts if host.role == "bastion"
    }
    assert {e["action"] for e in view["edges"]} == {"ACCEPT"}


def test_the_albs_are_the_only_servers_of_internet_clients_on_443(
    api: APIClient, graph: str, truth: Truth
) -> None:
    rows = get(api, graph, "top", of="internet_in", port="443", limit=1000)["rows"]
    assert {row["key"] for row in rows} == set(truth.alb_addresses)
    view = get(
        api, graph, "view", group="host", internet="in", port="443", action="accept", max_nodes=100_000
    )
    assert {e["client"] for e in view["edges"]} <= set(truth.internet_clients)


def test_the_scanners_are_the_rejected_sources(api: APIClient, graph: str, truth: Truth) -> None:
    rejected = {row["key"] for row in get(api, graph, "top", of="rejected", limit=1000)["rows"]}
    probing = {c.client for c in truth.connections if c.action == "REJECT" and c.client in truth.scanners}
    misconfigured = {
        c.client for c in truth.connections if c.action == "REJECT" and c.client not in truth.scanners
    }
    assert len(probing) > 10 and rejected == probing | misconfigured
    assert misconfigured and misconfigured <= set(truth.addresses("app"))  # the app that tries :5433


def test_grouped_views_put_the_internet_in_one_node(api: APIClient, graph: str, truth: Truth) -> None:
    view = get(api, graph, "view", group="subnet")
    kinds = {node["id"]: node["kind"] for node in view["nodes"]}
    assert kinds["internet"] == "internet"
    assert sum(kind == "internet" for kind in kinds.values()) == 1
    assert (
        view["totals"]["levels"]["host"]
        > view["totals"]["levels"]["subnet"]
        > view["totals"]["levels"]["account"]
    )


def test_enrichment_names_hosts_subnets_and_vpcs(
    api: APIClient, graph: str, truth: Truth, tmp_path: Path
) -> None:
    call_command("enrich_import", *map(str, truth.describe_json(tmp_path)))
    db = truth.by_role("postgres")[0]
    hosts = {node["id"]: node for node in get(api, graph, "view", group="host", max_nodes=100_000)["nodes"]}
    assert hosts[db.address]["name"] == db.name and hosts[db.address]["label"] == db.name
    subnets = {node["id"] for node in get(api, graph, "view", group="subnet")["nodes"]}
    assert f"subnet:{db.subnet}" in subnets
    vpcs = {node["id"]: node for node in get(api, graph, "view", group="vpc")["nodes"]}
    assert f"vpc:{db.vpc}" in vpcs and vpcs[f"vpc:{db.vpc}"]["kind"] == "vpc"
    accounts = {node["id"] for node in get(api, graph, "view", group="account")["nodes"]}
    assert f"account:{PROD_ACCOUNT}" in accounts
    expanded = {node["id"] for node in get(api, graph, "view", group="vpc", expand=f"vpc:{db.vpc}")["nodes"]}
    assert f"subnet:{db.subnet}" in expanded and f"vpc:{db.vpc}" not in expanded


def test_a_scanners_many_ports_merge_into_one_edge_beyond_max_ports(
    api: APIClient, graph: str, truth: Truth
) -> None:
    split = get(api, graph, "view", group="subnet", max_ports=65536)
    merged = get(api, graph, "view", group="subnet")
    pairs = {(e["client"], e["server"], e["protocol"]) for e in split["edges"]}
    assert len(merged["edges"]) < len(split["edges"])
    assert {(e["client"], e["server"], e["protocol"]) for e in merged["edges"]} == pairs
    for pair in pairs:
        ports = [e["port"] for e in merged["edges"] if (e["client"], e["server"], e["protocol"]) == pair]
        assert len(ports) <= 21 and (len(ports) <= 20 or -1 in ports)
    assert sum(e["bytes_sent"] for e in merged["edges"]) == sum(e["bytes_sent"] for e in split["edges"])
