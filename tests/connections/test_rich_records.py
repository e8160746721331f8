"""Connection views from flow logs with richer fields (versions 3-5): NAT-correct endpoints, exact ports,
and the VPC, subnet and instance the records name."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from digests.models import Digest
from graphs.tasks import graph_run_task
from jobs.window import window_parse
from tests.vpcgen import Truth, vpc_generate

pytestmark = pytest.mark.django_db
START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"
INSTANCE, NAT, SERVER = "10.0.1.5", "10.0.0.220", "203.0.113.5"

# AWS's published example "Traffic through a NAT gateway": a custom format, records of the NAT gateway's
# interface (requester-managed: no instance id) and of the instance's interface.
NAT_EXAMPLE = """instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr
- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5
- eni-1235b8ca123456789 10.0.0.220 203.0.113.5 10.0.0.220 203.0.113.5
- eni-1235b8ca123456789 203.0.113.5 10.0.0.220 203.0.113.5 10.0.0.220
- eni-1235b8ca123456789 10.0.0.220 10.0.1.5 203.0.113.5 10.0.1.5
i-01234567890123456 eni-1111aaaa2222bbbb3 10.0.1.5 203.0.113.5 10.0.1.5 203.0.113.5
i-01234567890123456 eni-1111aaaa2222bbbb3 203.0.113.5 10.0.1.5 203.0.113.5 10.0.1.5
"""


def built(api: APIClient) -> str:
    assert api.post("/api/v1/graphs/", {"start": START, "stop": STOP}, format="json").status_code == 202
    graph_id = window_parse(START, STOP).job_id("graph")
    assert graph_run_task(graph_id) == "done"
    return graph_id


def view(api: APIClient, graph_id: str, **params: Any) -> dict[str, Any]:
    response = api.get(f"/api/v1/graphs/{graph_id}/view", params)
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_the_aws_nat_example_is_one_conversation_between_the_instance_and_the_server(
    api: APIClient, flowlogs_dir: Path
) -> None:
    (flowlogs_dir / "nat.log").write_text(NAT_EXAMPLE)
    answer = view(api, built(api), group="host")
    pairs = {frozenset((edge["client"], edge["server"])) for edge in answer["edges"]}
    assert pairs == {frozenset((INSTANCE, SERVER))}  # the NAT gateway's own legs are the same flows
    assert sum(edge["records"] for edge in answer["edges"]) == 4
    names = {node["id"]: node["name"] for node in answer["nodes"]}
    assert names[INSTANCE] == "i-01234567890123456"  # the instance the records name


def test_without_rich_fields_the_nat_hop_shows_as_it_was_logged(api: APIClient, flowlogs_dir: Path) -> None:
    records = [" ".join([*line.split()[1:4], "OK"]) for line in NAT_EXAMPLE.splitlines()[1:]]
    (flowlogs_dir / "nat.log").write_text(
        "\n".join(["interface-id srcaddr dstaddr log-status", *records, ""])
    )
    answer = view(api, built(api), group="host")
    assert NAT in {node["id"] for node in answer["nodes"]}


@pytest.fixture
def truth(flowlogs_dir: Path) -> Truth:
    return vpc_generate(flowlogs_dir, datetime(2019, 1, 1, tzinfo=UTC), 1, fields="v5")


def test_version_5_records_give_exact_nat_corrected_connections(api: APIClient, truth: Truth) -> None:
    graph_id = built(api)
    assert Digest.objects.get().connections > 0
    drawn = view(api, graph_id, group="host", max_nodes=100_000, max_ports=65536)["edges"]
    nats = set(truth.nat_addresses)
    assert not [edge for edge in drawn if {edge["client"], edge["server"]} & nats]
    expected: dict[tuple[str, str, int, int], set[str]] = {}
    for connection in truth.connections:
        if connection.client not in nats and connection.server not in nats:
            expected.setdefault(
                (connection.client, connection.server, connection.port, connection.protocol), set()
            ).add(connection.action)
    got = {(e["client"], e["server"], e["port"], e["protocol"]): e["action"] for e in drawn}
    assert got == {key: "MIXED" if len(seen) > 1 else next(iter(seen)) for key, seen in expected.items()}


def test_version_5_records_place_hosts_without_enrichment(api: APIClient, truth: Truth) -> None:
    graph_id = built(api)
    db = truth.by_role("postgres")[0]
    nodes = {node["id"]: node for node in view(api, graph_id, group="host", max_nodes=100_000)["nodes"]}
    assert nodes[db.address]["name"] == db.instance
    subnets = {node["id"] for node in view(api, graph_id, group="subnet")["nodes"]}
    assert f"subnet:{db.subnet}" in subnets
    vpcs = {node["id"]: node["kind"] for node in view(api, graph_id, group="vpc")["nodes"]}
    assert vpcs[f"vpc:{db.vpc}"] == "vpc"


def test_a_graph_reuses_the_digests_connection_table(api: APIClient, truth: Truth, settings: Any) -> None:
    graph_id = built(api)
    digest = Digest.objects.get()
    from graphs.models import Graph

    assert Graph.objects.get(id=graph_id).connections == digest.connections


def test_connections_through_a_nat_gateway_take_its_way_out_to_the_internet(
    api: APIClient, truth: Truth
) -> None:
    drawn = view(api, built(api), group="host", max_nodes=100_000, internet="out")["edges"]
    assert drawn and all(edge["paths"] == [1, 2] for edge in drawn)  # to the gateway, then its IGW
