"""Connection views from version 5 records that say which way each record went at its interface
(`flow-direction`) and how a sent record left it (`traffic-path`): hand-written records, golden answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.connections.conftest import START, STOP, T0

pytestmark = pytest.mark.django_db

HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log-status flow-direction traffic-path"
)
A = "111111111111"
WEB, APP, DB, CLIENT = "10.0.1.10", "10.0.2.11", "10.0.3.20", "203.0.113.7"
NTP_A, NTP_B = "10.0.4.4", "10.0.5.5"


def record(eni: str, src: str, dst: str, ports: str, packets_bytes: str, action: str, way: str, path: str = "-",
           start: int = 60, protocol: int = 6) -> str:  # fmt: skip
    return (
        f"5 {A} {eni} {src} {dst} {ports} {protocol} {packets_bytes} {T0 + start} {T0 + start + 30} {action} OK "
        f"{way} {path}"
    )


def built(api: APIClient, flowlogs_dir: Path, records: list[str]) -> str:
    from graphs.tasks import graph_run_task
    from jobs.window import window_parse

    (flowlogs_dir / "v5.log").write_text("\n".join([HEADER, *records]) + "\n")
    assert api.post("/api/v1/graphs/", {"start": START, "stop": STOP}, format="json").status_code == 202
    graph_id = window_parse(START, STOP).job_id("graph")
    assert graph_run_task(graph_id) == "done"
    return graph_id


def edges_of(api: APIClient, graph_id: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/graphs/{graph_id}/view", {"group": "host", **params})
    assert response.status_code == 200, response.content
    return list(response.json()["edges"])


def test_a_forwarding_interface_that_logs_the_same_packets_in_and_out_counts_them_once(
    api: APIClient, flowlogs_dir: Path
) -> None:
    records = [  # APP → DB through a firewall appliance's interface (eni-fw), logged at APP's and at eni-fw
        record("eni-app", APP, DB, "42000 5432", "10 1000", "ACCEPT", "egress", "1"),
        record("eni-app", DB, APP, "5432 42000", "12 9000", "ACCEPT", "ingress"),
        record("eni-fw", APP, DB, "42000 5432", "10 1000", "ACCEPT", "ingress"),
        record("eni-fw", APP, DB, "42000 5432", "10 1000", "ACCEPT", "egress", "1"),
        record("eni-fw", DB, APP, "5432 42000", "12 9000", "ACCEPT", "ingress"),
        record("eni-fw", DB, APP, "5432 42000", "12 9000", "ACCEPT", "egress", "1"),
    ]
    [edge] = edges_of(api, built(api, flowlogs_dir, records))
    assert (edge["client"], edge["server"], edge["port"]) == (APP, DB, 5432)
    assert (edge["bytes_sent"], edge["bytes_received"], edge["packets"], edge["records"]) == (
        1000,
        9000,
        22,
        6,
    )


def test_a_reply_a_network_acl_blocks_on_its_way_out_stays_a_reply_of_its_connection(
    api: APIClient, flowlogs_dir: Path
) -> None:
    records = [  # DB accepts the request; a stateless network ACL rejects its reply to the ephemeral port
        record("eni-db", APP, DB, "42000 5432", "3 180", "ACCEPT", "ingress"),
        record("eni-db", DB, APP, "5432 42000", "3 180", "REJECT", "egress", "1"),
    ]
    [edge] = edges_of(api, built(api, flowlogs_dir, records))
    assert (edge["client"], edge["server"], edge["port"], edge["action"]) == (APP, DB, 5432, "MIXED")
    assert (edge["bytes_sent"], edge["bytes_received"]) == (180, 180)


def test_a_probe_rejected_on_its_way_in_keeps_the_port_it_probed(api: APIClient, flowlogs_dir: Path) -> None:
    records = [record("eni-web", CLIENT, WEB, "53 8080", "1 40", "REJECT", "ingress")]
    [edge] = edges_of(api, built(api, flowlogs_dir, records))
    assert (edge["client"], edge["server"], edge["port"], edge["action"]) == (CLIENT, WEB, 8080, "REJECT")


def test_equal_ports_make_one_connection_whose_client_sent_first(api: APIClient, flowlogs_dir: Path) -> None:
    records = [  # NTP_B asks first (123 → 123), logged at both interfaces
        record("eni-b", NTP_B, NTP_A, "123 123", "1 76", "ACCEPT", "egress", "1", start=60, protocol=17),
        record("eni-b", NTP_A, NTP_B, "123 123", "1 90", "ACCEPT", "ingress", start=61, protocol=17),
        record("eni-a", NTP_B, NTP_A, "123 123", "1 76", "ACCEPT", "ingress", start=60, protocol=17),
        record("eni-a", NTP_A, NTP_B, "123 123", "1 90", "ACCEPT", "egress", "1", start=61, protocol=17),
    ]
    [edge] = edges_of(api, built(api, flowlogs_dir, records))
    assert (edge["client"], edge["server"], edge["port"], edge["protocol"]) == (NTP_B, NTP_A, 123, 17)
    assert (edge["bytes_sent"], edge["bytes_received"], edge["records"]) == (76, 90, 4)


PATHS = [
    record("eni-web", CLIENT, WEB, "40001 443", "10 1000", "ACCEPT", "ingress"),
    record("eni-web", WEB, CLIENT, "443 40001", "12 50000", "ACCEPT", "egress", "8"),
    record("eni-app", APP, DB, "42000 5432", "5 300", "ACCEPT", "egress", "1"),
    record("eni-app", DB, APP, "5432 42000", "5 9000", "ACCEPT", "ingress"),
]


def test_each_connection_keeps_the_traffic_paths_its_records_left_by(
    api: APIClient, flowlogs_dir: Path
) -> None:
    drawn = edges_of(api, built(api, flowlogs_dir, PATHS))
    assert {(edge["client"], edge["server"]): edge["paths"] for edge in drawn} == {
        (CLIENT, WEB): [8],
        (APP, DB): [1],
    }
    subnets = api.get(f"/api/v1/graphs/{window_graph()}/view", {"group": "subnet"}).json()["edges"]
    assert {tuple(edge["paths"]) for edge in subnets} == {(8,), (1,)}


def window_graph() -> str:
    from jobs.window import window_parse

    return window_parse(START, STOP).job_id("graph")


@pytest.mark.parametrize(
    ("path", "expected"),
    [("igw", {(CLIENT, WEB)}), ("8", {(CLIENT, WEB)}), ("vpc,peering", {(APP, DB)}), ("2,3", set())],
)
def test_the_path_filter_keeps_the_connections_that_left_by_one_of_its_paths(
    api: APIClient, flowlogs_dir: Path, path: str, expected: set[tuple[str, str]]
) -> None:
    drawn = edges_of(api, built(api, flowlogs_dir, PATHS), path=path)
    assert {(edge["client"], edge["server"]) for edge in drawn} == expected


def test_a_path_that_is_not_a_code_or_a_name_is_a_400_naming_it(api: APIClient, flowlogs_dir: Path) -> None:
    response = api.get(f"/api/v1/graphs/{built(api, flowlogs_dir, PATHS)}/view", {"path": "9"})
    assert response.status_code == 400 and response.json()["parameter"] == "path"


def test_the_csv_tells_the_paths(api: APIClient, flowlogs_dir: Path) -> None:
    graph_id = built(api, flowlogs_dir, PATHS)
    csv = api.get(f"/api/v1/graphs/{graph_id}/view", {"group": "host", "format": "csv"}).content.decode()
    header, *rows = csv.splitlines()
    assert header.endswith(",records,paths") and {row.rsplit(",", 1)[1] for row in rows} == {"8", "1"}


def test_records_without_a_traffic_path_leave_the_field_out(api: APIClient, flowlogs_dir: Path) -> None:
    records = [line.replace("egress 8", "egress -").replace("egress 1", "egress -") for line in PATHS]
    assert all("paths" not in edge for edge in edges_of(api, built(api, flowlogs_dir, records)))


def test_rich_records_are_data_by_the_engines_log_status_rule(api: APIClient, flowlogs_dir: Path) -> None:
    records = [
        record("eni-app", APP, DB, "40000 5432", "10 1000", "ACCEPT", "egress"),
        record("eni-app", APP, DB, "40001 5433", "10 1000", "ACCEPT", "egress").replace(" OK ", " - "),
        record("eni-app", APP, DB, "40002 5434", "10 1000", "ACCEPT", "egress").replace(" OK ", " PENDING "),
    ]
    edges = edges_of(api, built(api, flowlogs_dir, records))
    assert [(edge["server"], edge["port"]) for edge in edges] == [(DB, 5432)]  # '-' and unknown: skipped


def test_rich_record_times_are_milliseconds_from_ten_to_the_eleventh_as_in_the_engine() -> None:
    from digests import rich_lines
    from digests.engine import kernel

    assert rich_lines.MILLISECONDS_FROM == kernel.MILLISECONDS_FROM
