"""The flow-log generator (tests/vpcgen.py) keeps its promises: AWS layout, who logs what, truth, determinism."""

from __future__ import annotations

import gzip
import io
import ipaddress
import json
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digests.engine.digest import digest_objects
from digests.engine.figures import DigestFigures
from digests.engine.objects import FlowLogObject
from digests.sources.delivery import name_parse
from tests.vpcgen import PROD_ACCOUNT, SHARED_ACCOUNT, Connection, Scale, Truth, vpc_generate

START = datetime(2024, 3, 1, tzinfo=UTC)
# Written out here rather than imported, so a change of the generator's header cannot go unnoticed.
V2_HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
V5_HEADER = (
    "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport "
    "pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status region az-id "
    "flow-direction traffic-path"
)
KEY = re.compile(
    r"AWSLogs/(?P<account>\d{12})/vpcflowlogs/us-east-1/(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/"
    r"(?P=account)_vpcflowlogs_us-east-1_(?P<fl>fl-[0-9a-f]{17})_(?P<stamp>\d{8}T\d{4}Z)_[0-9a-f]{8}\.log\.gz"
)
Record = dict[str, str]


def file_lines(path: Path) -> list[str]:
    return gzip.decompress(path.read_bytes()).decode("ascii").splitlines()


def read_records(truth: Truth) -> list[Record]:
    """Every record of every file, by the names of its file's header line (plus `file`, the key)."""
    records: list[Record] = []
    for key, path in zip(truth.files, truth.paths(), strict=True):
        header, *lines = file_lines(path)
        names = header.split(" ")
        for line in lines:
            values = line.split(" ")
            assert len(values) == len(names), line
            records.append(dict(zip(names, values, strict=True)) | {"file": key})
    return records


def ok(records: list[Record]) -> list[Record]:
    return [r for r in records if r["log-status"] == "OK"]


def logged_connections(records: list[Record]) -> set[Connection]:
    """Requests as the files show them: a REJECT is always a request (nothing answers it); otherwise the
    client is the side on the ephemeral (higher) port, as every service port here is below 32768."""
    found: set[Connection] = set()
    for r in ok(records):
        src, dst, sport, dport, proto = (
            r["srcaddr"],
            r["dstaddr"],
            int(r["srcport"]),
            int(r["dstport"]),
            int(r["protocol"]),
        )
        if r["action"] == "REJECT" or sport > dport:
            found.add(Connection(src, dst, dport, proto, r["action"]))
        else:
            found.add(Connection(dst, src, sport, proto, r["action"]))
    return found


def digest(truth: Truth) -> tuple[str, DigestFigures]:
    out = io.BytesIO()
    objects = [
        FlowLogObject(key, path.read_bytes()) for key, path in zip(truth.files, truth.paths(), strict=True)
    ]
    figures = digest_objects(objects, truth.start_epoch, truth.stop_epoch, out)
    return out.getvalue().decode(), figures


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Truth:
    return vpc_generate(tmp_path_factory.mktemp("v2"), START, 1, seed=7)


@pytest.fixture(scope="module")
def small_v5(tmp_path_factory: pytest.TempPathFactory) -> Truth:
    return vpc_generate(tmp_path_factory.mktemp("v5"), START, 1, fields="v5", seed=7)


@pytest.fixture(scope="module")
def records(small: Truth) -> list[Record]:
    return read_records(small)


def test_files_land_in_the_aws_default_layout_with_the_header_and_hold_their_interval(small: Truth) -> None:
    assert len(small.files) == 24  # an hour of 5-minute files for each of the two accounts
    stamps: dict[str, list[datetime]] = defaultdict(list)
    for key, path in zip(small.files, small.paths(), strict=True):
        match = KEY.fullmatch(key)
        assert match, key
        parsed = name_parse(path.name)
        assert parsed is not None
        assert parsed.account == match["account"]
        assert parsed.flow_log_id == match["fl"] == small.flow_logs[match["account"]]
        assert f"{parsed.timestamp:%Y/%m/%d}" == f"{match['y']}/{match['m']}/{match['d']}"
        stamps[parsed.account].append(parsed.timestamp)
        data = path.read_bytes()
        assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\0\0\0\0"  # gzip, mtime 0
        header, *lines = file_lines(path)
        assert header == V2_HEADER
        t0 = int(parsed.timestamp.timestamp())
        for line in lines:
            fields = line.split(" ")
            start, end = int(fields[10]), int(fields[11])
            assert fields[1] == parsed.account
            assert t0 <= start <= end < t0 + 300 and end - start < 60, line
    expected = [START + timedelta(minutes=5 * i) for i in range(12)]
    assert stamps == {PROD_ACCOUNT: expected, SHARED_ACCOUNT: expected}


def test_both_interfaces_log_traffic_inside_the_vpcs_request_and_reply_in_their_own_accounts(
    small: Truth, records: list[Record]
) -> None:
    hosts = small.host_by_address
    seen = {
        (r["interface-id"], r["account-id"], r["srcaddr"], r["dstaddr"], r["srcport"], r["dstport"])
        for r in ok(records)
    }
    checked = cross_account = 0
    for r in ok(records):
        src, dst = hosts.get(r["srcaddr"]), hosts.get(r["dstaddr"])
        # NAT legs and the rejected :5433 attempts have their own tests.
        if (
            not src
            or not dst
            or "nat" in (src.role, dst.role)
            or r["dstport"] == "5433"
            or r["srcport"] == "5433"
        ):
            continue
        ports = (r["srcport"], r["dstport"])
        for host in (src, dst):
            assert (host.eni, host.account, src.address, dst.address, *ports) in seen, (host.name, r)
            assert (host.eni, host.account, dst.address, src.address, *reversed(ports)) in seen, (
                host.name,
                r,
            )
        checked += 1
        cross_account += src.account != dst.account
    assert checked > 1000 and cross_account > 100  # Prometheus and DNS cross from shared services to prod


def test_internet_traffic_to_the_alb_is_logged_only_at_the_alb(small: Truth, records: list[Record]) -> None:
    clients = set(small.internet_clients)
    albs = {host.eni: host.address for host in small.by_role("alb")}
    seen = {(r["interface-id"], r["srcaddr"], r["dstaddr"], r["srcport"], r["dstport"]) for r in ok(records)}
    requests = [r for r in ok(records) if r["srcaddr"] in clients]
    replies = [r for r in ok(records) if r["dstaddr"] in clients]
    assert len(requests) == len(replies) > 500
    for r in requests:
        assert r["interface-id"] in albs and r["dstaddr"] == albs[r["interface-id"]], r
        assert (r["dstport"], r["action"], r["protocol"]) == ("443", "ACCEPT", "6")
        assert 32768 <= int(r["srcport"]) <= 60999
        assert (r["interface-id"], r["dstaddr"], r["srcaddr"], r["dstport"], r["srcport"]) in seen
    assert len({r["srcport"] for r in requests}) > len(requests) * 0.9  # ephemeral ports vary per flow


def test_scanner_probes_are_rejected_where_they_land_and_never_answered(
    small: Truth, records: list[Record]
) -> None:
    scanners = set(small.scanners)
    public_facing = {host.eni for host in (*small.by_role("alb"), *small.by_role("bastion"))}
    probes = [r for r in ok(records) if r["srcaddr"] in scanners]
    assert len(probes) > 300
    assert not [r for r in records if r["dstaddr"] in scanners]
    assert {r["action"] for r in probes} == {"REJECT"}
    assert {r["interface-id"] for r in probes} == public_facing
    assert {r["protocol"] for r in probes} == {"1", "6", "17"}
    assert {(r["srcport"], r["dstport"]) for r in probes if r["protocol"] == "1"} == {("0", "0")}
    assert "443" not in {
        r["dstport"] for r in probes if r["interface-id"] in {h.eni for h in small.by_role("alb")}
    }


def test_a_misconfigured_app_is_accepted_at_its_interface_and_rejected_at_the_database(
    records: list[Record],
) -> None:
    attempts = [r for r in ok(records) if r["dstport"] == "5433"]
    assert {r["action"] for r in attempts} == {"ACCEPT", "REJECT"}
    accepted = {(r["srcaddr"], r["srcport"]) for r in attempts if r["action"] == "ACCEPT"}
    rejected = {(r["srcaddr"], r["srcport"]) for r in attempts if r["action"] == "REJECT"}
    assert accepted == rejected
    assert not [r for r in ok(records) if r["srcport"] == "5433"]  # no reply


def test_nodata_and_skipdata_records_are_written_as_aws_writes_them(small: Truth, small_v5: Truth) -> None:
    lines = [line for path in small.paths() for line in file_lines(path)[1:]]
    nodata = [line for line in lines if line.endswith(" NODATA")]
    skipdata = [line for line in lines if line.endswith(" SKIPDATA")]
    shape = re.compile(r"2 \d{12} (eni-[0-9a-f]{17}) - - - - - - - (\d+) (\d+) - (NODATA|SKIPDATA)")
    assert all(shape.fullmatch(line) for line in nodata + skipdata)
    idle = {host.eni for host in small.by_role("idle")}
    # An idle interface reports NODATA for each one-minute aggregation interval.
    assert sorted(shape.fullmatch(line)[1] for line in nodata) == sorted(list(idle) * 60)  # type: ignore[index]
    assert len(nodata) == small.nodata and len(skipdata) == small.skipdata > 0
    v5 = [line for path in small_v5.paths() for line in file_lines(path)[1:] if " NODATA " in line]
    v5_shape = (
        r"5 vpc-\S+ subnet-\S+ i-\S+ eni-\S+ \d{12}"
        + " -" * 10
        + r" \d+ \d+ - - NODATA us-east-1 use1-az\d - -"
    )
    assert len(v5) == len(nodata) and all(re.fullmatch(v5_shape, line) for line in v5)


def test_the_same_seed_writes_identical_bytes_whatever_the_window_and_another_seed_does_not(
    small: Truth, tmp_path: Path
) -> None:
    later = START + timedelta(minutes=20)  # the fixture's 5th and 6th files, drawn again on their own
    again = vpc_generate(tmp_path / "again", later, 10 / 60, seed=7)
    other = vpc_generate(tmp_path / "other", later, 10 / 60, seed=8)
    assert again.files == small.files[8:12]
    assert [p.read_bytes() for p in again.paths()] == [p.read_bytes() for p in small.paths()[8:12]]
    assert [file_lines(p)[1:] for p in other.paths()] != [file_lines(p)[1:] for p in again.paths()]


def test_the_truth_connections_are_exactly_what_the_files_log(small: Truth, records: list[Record]) -> None:
    truth = small.connections
    assert truth == logged_connections(records)
    app, db = small.addresses("app")[0], small.db_addresses[0]
    assert {Connection(app, db, 5433, 6, "ACCEPT"), Connection(app, db, 5432, 6, "ACCEPT")} <= truth
    assert Connection(app, db, 5433, 6, "REJECT") in truth
    # NAT egress: the instance -> internet server at the instance, both NAT legs at the NAT gateway.
    nat = small.nat_addresses[0]
    egress = {(c.client, c.server) for c in truth if c.server in small.public_servers and c.client != nat}
    assert egress and all(Connection(client, nat, 443, 6, "ACCEPT") in truth for client, _ in egress)
    assert all(Connection(nat, server, 443, 6, "ACCEPT") in truth for _, server in egress)
    # Within the hour every instance is scraped by Prometheus and every other one queries the resolvers.
    # (Scanners probe :53 and :9100 too: only accepted connections count.)
    instances = {h.address for h in small.instances}
    scrapes = {c for c in truth if c.port == 9100 and c.action == "ACCEPT"}
    lookups = {c for c in truth if (c.port, c.protocol, c.action) == (53, 17, "ACCEPT")}
    assert {c.server for c in scrapes} == instances
    assert {c.client for c in scrapes} == set(small.addresses("monitoring"))
    assert {c.server for c in lookups} == set(small.dns_servers)
    assert {c.client for c in lookups} == instances - set(small.dns_servers)


def test_the_digest_engine_reads_it_all_and_skips_nothing_but_nodata_and_skipdata(
    small: Truth, records: list[Record]
) -> None:
    text, figures = digest(small)
    assert figures.records == small.records == len(records)
    assert {reason: count for reason, count in figures.skipped.items() if count} == {
        "nodata_skipdata": small.nodata + small.skipdata
    }
    assert figures.in_window == small.records - small.nodata - small.skipdata
    # The digest is the files' records grouped by the Go digester's rule (the higher port becomes 0).
    expected: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0])
    for r in ok(records):
        sport, dport = int(r["srcport"]), int(r["dstport"])
        ports = (str(sport), "0") if sport < dport else ("0", str(dport))
        key = (
            r["account-id"],
            r["interface-id"],
            r["srcaddr"],
            r["dstaddr"],
            *ports,
            r["protocol"],
            r["action"],
        )
        expected[key][0] += int(r["packets"])
        expected[key][1] += int(r["bytes"])
    lines = text.splitlines()
    got = {tuple(f[1:8] + f[12:13]): [int(f[8]), int(f[9])] for f in (line.split(" ") for line in lines)}
    assert len(lines) == figures.groups == len(got)
    assert got == expected


def test_v5_files_carry_the_custom_header_and_digest_to_the_same_lines_as_v2(
    small: Truth, small_v5: Truth
) -> None:
    assert {file_lines(path)[0] for path in small_v5.paths()} == {V5_HEADER}
    assert [p.name.split("_")[4] for p in small_v5.paths()] == [p.name.split("_")[4] for p in small.paths()]
    assert small_v5.connections == small.connections
    assert digest(small_v5)[0] == digest(small)[0]


def test_v5_records_show_nat_legs_directions_and_paths_as_aws_does(small_v5: Truth) -> None:
    records = ok(read_records(small_v5))
    nat = small_v5.by_role("nat")[0]
    servers, instances = set(small_v5.public_servers), {h.address: h for h in small_v5.instances}
    at_nat = [r for r in records if r["interface-id"] == nat.eni]
    assert at_nat and {r["instance-id"] for r in at_nat} == {"-"}
    legs: dict[str, int] = defaultdict(int)
    for r in at_nat:
        src, dst, psrc, pdst = r["srcaddr"], r["dstaddr"], r["pkt-srcaddr"], r["pkt-dstaddr"]
        if src in instances:  # instance -> NAT: the packet is for the internet server
            assert (dst, psrc, r["flow-direction"], r["traffic-path"]) == (nat.address, src, "ingress", "-")
            assert pdst in servers
        elif dst in instances:  # NAT -> instance: the reply still carries the server's address
            assert (src, pdst, r["flow-direction"], r["traffic-path"]) == (nat.address, dst, "egress", "1")
            assert psrc in servers
        elif src == nat.address:  # NAT -> server through the internet gateway
            assert dst in servers and (psrc, pdst, r["flow-direction"], r["traffic-path"]) == (
                src,
                dst,
                "egress",
                "2",
            )
        else:  # server -> NAT
            assert (
                src in servers
                and dst == nat.address
                and (psrc, pdst, r["flow-direction"]) == (src, dst, "ingress")
            )
        legs[f"{src in instances}{dst in instances}{src == nat.address}"] += 1
    assert len(legs) == 4 and len(set(legs.values())) == 1  # four legs, as many of each
    at_instances = [r for r in records if r["dstaddr"] in servers and r["srcaddr"] in instances]
    assert at_instances and all(
        (r["pkt-dstaddr"], r["flow-direction"], r["traffic-path"], r["interface-id"])
        == (r["dstaddr"], "egress", "1", instances[r["srcaddr"]].eni)
        for r in at_instances
    )
    # Egress across the peering (shared services -> prod and back) is path 4; ingress never has a path.
    hosts = small_v5.host_by_address
    for r in records:
        if r["flow-direction"] == "ingress":
            assert r["traffic-path"] == "-"
        elif r["srcaddr"] in hosts and r["dstaddr"] in hosts:
            crossing = hosts[r["srcaddr"]].vpc != hosts[r["dstaddr"]].vpc
            assert r["traffic-path"] == ("4" if crossing else "1"), r
    assert {r["az-id"] for r in records} == {"use1-az1", "use1-az2"}


def test_describe_json_gives_the_same_estate_in_the_aws_cli_shapes(
    small: Truth, records: list[Record], tmp_path: Path
) -> None:
    paths = small.describe_json(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in paths) == sorted(
        f"{account}/us-east-1/describe-{call}.json"
        for account in (PROD_ACCOUNT, SHARED_ACCOUNT)
        for call in ("vpcs", "subnets", "network-interfaces", "instances")
    )

    def load(account: str, call: str) -> Any:  # JSON as the CLI prints it
        return json.loads((tmp_path / account / "us-east-1" / f"describe-{call}.json").read_text())

    enis: dict[str, Any] = {}
    for account in (PROD_ACCOUNT, SHARED_ACCOUNT):
        for eni in load(account, "network-interfaces")["NetworkInterfaces"]:
            assert eni["OwnerId"] == account
            enis[eni["NetworkInterfaceId"]] = eni
        subnets = {s["SubnetId"]: s for s in load(account, "subnets")["Subnets"]}
        vpcs = {v["VpcId"]: v for v in load(account, "vpcs")["Vpcs"]}
        for reservation in load(account, "instances")["Reservations"]:
            (instance,) = reservation["Instances"]
            host = small.host_by_address[instance["PrivateIpAddress"]]
            assert (instance["InstanceId"], instance["SubnetId"], host.account) == (
                host.instance,
                host.subnet,
                account,
            )
            assert {"Key": "Name", "Value": host.name} in instance["Tags"]
        for host in (h for h in small.hosts if h.account == account):
            subnet = subnets[host.subnet]
            assert ipaddress.ip_address(host.address) in ipaddress.ip_network(subnet["CidrBlock"])
            assert subnet["VpcId"] == host.vpc and subnet["AvailabilityZone"] == host.az
            assert vpcs[host.vpc]["Tags"] and subnet["Tags"]
    assert set(enis) == {h.eni for h in small.hosts}
    assert {r["interface-id"] for r in records} <= set(enis)
    for host in small.hosts:
        eni = enis[host.eni]
        assert (eni["PrivateIpAddress"], eni["SubnetId"], eni["VpcId"]) == (
            host.address,
            host.subnet,
            host.vpc,
        )
        assert eni.get("Association", {}).get("PublicIp", "") == host.public_address
    alb, nat = small.by_role("alb")[0], small.by_role("nat")[0]
    assert enis[alb.eni]["Description"].startswith("ELB app/prod-web/")
    assert (enis[nat.eni]["InterfaceType"], enis[nat.eni]["RequesterManaged"]) == ("nat_gateway", True)
    assert enis[nat.eni]["Description"].startswith("Interface for NAT Gateway nat-")


def test_records_per_hour_follow_the_scale(tmp_path: Path) -> None:
    for rate in (2_000, 12_000):
        scale = Scale(**{**Scale.small().__dict__, "records_per_hour": rate, "diurnal": 0.0})
        truth = vpc_generate(tmp_path / str(rate), START, 1, scale=scale)
        traffic = truth.records - truth.nodata - truth.skipdata
        assert abs(traffic - rate) < 0.1 * rate, traffic


def test_the_large_preset_is_a_thousand_interfaces_with_many_outside_addresses(tmp_path: Path) -> None:
    truth = vpc_generate(tmp_path, START + timedelta(hours=12), 5 / 60, scale=Scale.large())
    assert 950 <= len(truth.hosts) <= 1050
    assert (len(truth.internet_clients), len(truth.scanners)) == (30_000, 3_000)
    assert len(set(truth.internet_clients) | set(truth.scanners) | set(truth.public_servers)) == 34_000
    assert all(ipaddress.ip_address(a).is_global for a in truth.internet_clients[:2000])
    # 150 k records an hour on average, more at midday: one 5-minute interval holds 12.5 k at the mean.
    assert 12_500 < truth.records - truth.nodata < 12_500 * 1.5


@pytest.mark.parametrize(
    ("start", "hours", "message"),
    [
        (datetime(2024, 3, 1), 1.0, "timezone-aware"),  # naive: the point of the case
        (START + timedelta(minutes=2), 1.0, "boundary"),
        (START, 7 / 60, "whole number"),
    ],
)
def test_windows_that_are_not_whole_files_are_refused(
    tmp_path: Path, start: datetime, hours: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        vpc_generate(tmp_path, start, hours)
