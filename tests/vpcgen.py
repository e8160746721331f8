"""A deterministic generator of VPC Flow Logs for a production-like AWS estate, with its truth.

`vpc_generate(root, start, hours, scale=..., fields="v2"|"v5", seed=7)` writes gzip flow-log files in the AWS
default S3 layout under `root` and returns a `Truth`: every host (address, ENI, account, subnet, VPC, Name),
the outside populations (internet clients, scanners, public servers, offices) and the set of connections
the files contain. `Truth.describe_json(folder)` writes the matching `aws ec2 describe-*` JSON, so address
enrichment can be tested against the same truth. SYNTHETIC: no real traffic, accounts or interfaces.

The estate (`Scale` sizes it; `Scale.small()` ~40 interfaces for tests, `Scale.large()` ~1,000 for benchmarks):

- Account 111111111111 (prod), VPC 10.0.0.0/16: per AZ a public /24 (ALB interfaces, NAT gateway, bastion)
  and private web, app (app servers and workers) and data (PostgreSQL, Redis, Kafka) /24s.
- Account 222222222222 (shared services), VPC 10.1.0.0/16, peered with prod: Prometheus and DNS resolvers.
- Who talks to whom (client -> server:port/protocol): internet clients -> ALB :443; ALB -> web :8080;
  web -> app :8443; app -> PostgreSQL :5432, Redis :6379, Kafka :9092; workers -> PostgreSQL, Kafka;
  app and workers -> internet servers :443 through the NAT gateway; every instance -> DNS :53/udp; offices
  -> bastion :22; bastion -> app and PostgreSQL :22; Prometheus -> every instance :9100 (across accounts);
  a misconfigured app -> PostgreSQL :5433, rejected by the database's security group.
- Scanners probe the ALB interfaces and the bastion on well-known and random ports (and ICMP): REJECT, no reply.
- Idle secondary interfaces write NODATA records; busy managed interfaces now and then SKIPDATA.

As AWS records it (docs/flow-log-formats.md; AWS "Flow log record examples"):

- Traffic between two VPC interfaces is logged by both, request (src = client) and reply (src = server,
  ports swapped), each in its interface's own account. Internet <-> ALB (or bastion) only at that interface,
  with its private address (the internet gateway translates the public one).
- NAT: the instance's interface logs instance <-> internet server; the NAT gateway's interface logs both
  legs: instance -> NAT private address (pkt-dstaddr = the server), NAT -> server from a translated port,
  and the two replies (NAT -> instance with pkt-srcaddr = the server).
- DNS: AWS never logs traffic to the Amazon-provided resolver (VPC base + 2), so the default estate runs
  its own resolvers in the shared-services VPC; `Scale(dns_mode="vpc2")` sends queries to the VPC's .2
  address instead, logged by the querying interface only (AWS itself would write nothing).
- Client ports are ephemeral (32768-60999) and drawn per flow; the NAT translates to 1024-65535.
- Files: one per account per `file_minutes` (5 by default), named by their interval's start, holding the
  records whose start and end lie in that interval (1-minute aggregation), after the version 2 default
  header (or the custom version 5 header with `fields="v5"`).

Speed: each interval is drawn with numpy, rendered with polars and compressed (stdlib gzip, mtime 0) on a
helper thread; the large preset writes about 150 k records an hour of traffic. The same seed, scale and
fields give byte-identical files: each interval has its own random stream seeded by (seed, interval start),
so an interval's file does not depend on the window it was generated in.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

REGION = "us-east-1"
PROD_ACCOUNT = "111111111111"
SHARED_ACCOUNT = "222222222222"
ACCOUNTS = (PROD_ACCOUNT, SHARED_ACCOUNT)
# us-east-1 zone names and ids (the name-to-id mapping differs per account in AWS; one is fixed here).
AZ_NAMES = ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f")
AZ_IDS = ("use1-az1", "use1-az2", "use1-az4", "use1-az6", "use1-az3", "use1-az5")

V2_FIELDS = (  # noqa: SIM905 - reads as the header line
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
).split()
# A custom version 5 order: AWS's own tcp-flags example order (bytes before packets) plus the v4 and v5
# location and direction fields, so readers must take the layout from the header.
V5_FIELDS = (  # noqa: SIM905 - reads as the header line
    "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport "
    "pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status region az-id "
    "flow-direction traffic-path"
).split()
FIELDS: dict[str, list[str]] = {"v2": V2_FIELDS, "v5": V5_FIELDS}

TCP, UDP, ICMP = 6, 17, 1
HTTPS, WEB_PORT, APP_PORT = 443, 8080, 8443
POSTGRES_PORT, MISCONFIGURED_PORT, REDIS_PORT, KAFKA_PORT = 5432, 5433, 6379, 9092
DNS_PORT, SSH_PORT, NODE_EXPORTER_PORT = 53, 22, 9100
EPHEMERAL = (32768, 60999)  # Linux's default ip_local_port_range
NAT_PORTS = (1024, 65535)

# Host roles (Host.role).
ALB, NAT, BASTION, WEB, APP, WORKER = "alb", "nat", "bastion", "web", "app", "worker"
POSTGRES, REDIS, KAFKA, MONITORING, DNS, IDLE = "postgres", "redis", "kafka", "monitoring", "dns", "idle"
INSTANCE_ROLES = (BASTION, WEB, APP, WORKER, POSTGRES, REDIS, KAFKA, MONITORING, DNS)

# Record columns: actions, statuses, directions (the renderer's string tables use the same indices).
ACCEPT, REJECT, NO_ACTION = 0, 1, 2
OK, NODATA, SKIPDATA = 0, 1, 2
INGRESS, EGRESS, NO_DIRECTION = 0, 1, 2
# traffic-path (egress only): 1 within the VPC, 2 internet gateway, 4 intra-region peering, 8 internet
# gateway from a Nitro instance; 0 is written "-".
PATH_VPC, PATH_IGW, PATH_PEERING, PATH_IGW_NITRO = 1, 2, 4, 8
# tcp-flags OR-ed over the interval: SYN 2, FIN 1, SYN-ACK 18; -1 is written "-".
SYN, SYN_FIN, SYN_ACK, SYN_ACK_FIN = 2, 3, 18, 19

_ADDRESS_BITS = 21  # connection keys pack two address indices, the port, protocol and action in 61 bits
_PROTO_CODE = {TCP: 0, UDP: 1, ICMP: 2}
_PROTO_OF_CODE = (TCP, UDP, ICMP)
_SUBNET_HOSTS = 240  # interfaces placed in one /24 (from .10; AWS reserves .0-.3 and .255)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Scale:
    """How big the estate is and how much it talks. Defaults are the large preset."""

    azs: int = 3
    alb_enis: int = 4  # interfaces of the one internet-facing ALB, spread over the AZs
    nat_gateways: int = 1  # instances use the NAT gateway of their AZ (modulo this count)
    web: int = 220
    app: int = 400
    workers: int = 330
    postgres: int = 6
    redis: int = 6
    kafka: int = 6
    monitoring: int = 4  # Prometheus, shared-services account
    dns: int = 2  # resolvers, shared-services account (dns_mode "resolver")
    idle_enis: int = 20  # secondary interfaces without traffic: NODATA every minute
    internet_clients: int = 30_000
    scanners: int = 3_000
    public_servers: int = 1_000  # internet servers reached through the NAT gateway
    offices: int = 3  # public addresses allowed to SSH to the bastion
    records_per_hour: int = 150_000  # the day's mean; NODATA and SKIPDATA lines come on top
    diurnal: float = 0.3  # user-driven traffic swings by this fraction around the mean, peaking 15:00 UTC
    file_minutes: int = 5  # one file per account per interval (AWS publishes every 5 minutes)
    scan_random_ports: float = 0.6  # share of TCP/UDP probes on a random port rather than a well-known one
    skipdata_rate: float = 0.002  # chance per managed interface and minute of a SKIPDATA record
    dns_mode: Literal["resolver", "vpc2"] = "resolver"

    @classmethod
    def small(cls) -> Scale:
        """About 40 interfaces, a few hundred outside addresses, 6,000 records an hour: for tests."""
        return cls(
            azs=2,
            alb_enis=2,
            web=6,
            app=8,
            workers=6,
            postgres=2,
            redis=2,
            kafka=3,
            monitoring=2,
            dns=2,
            idle_enis=2,
            internet_clients=300,
            scanners=40,
            public_servers=12,
            offices=2,
            records_per_hour=6_000,
            skipdata_rate=0.02,  # a few SKIPDATA lines even in an hour of a small estate
        )

    @classmethod
    def large(cls) -> Scale:
        """About 1,000 interfaces, 30 k internet clients, 3 k scanners, 150 k records an hour (3.6 M a day)."""
        return cls()

    def validate(self) -> None:
        counts = {"alb_enis": self.alb_enis, "nat_gateways": self.nat_gateways, "web": self.web}
        counts |= {"app": self.app, "postgres": self.postgres, "redis": self.redis, "kafka": self.kafka}
        counts |= {"monitoring": self.monitoring, "internet_clients": self.internet_clients}
        counts |= {"scanners": self.scanners, "public_servers": self.public_servers, "offices": self.offices}
        low = [name for name, value in counts.items() if value < 1]
        if self.dns_mode == "resolver" and self.dns < 1:
            low.append("dns")
        if low or self.workers < 0 or self.idle_enis < 0:
            raise ValueError(
                f"Scale needs at least one of each: {', '.join(low) or 'workers/idle_enis >= 0'}"
            )
        if not 1 <= self.azs <= len(AZ_NAMES):
            raise ValueError(f"azs must be 1 to {len(AZ_NAMES)}")
        if self.file_minutes not in (1, 5, 10, 15, 20, 30, 60):
            raise ValueError("file_minutes must divide an hour")
        if self.dns_mode not in ("resolver", "vpc2"):
            raise ValueError("dns_mode must be 'resolver' or 'vpc2'")
        outside = self.internet_clients + self.scanners + self.public_servers + self.offices
        if outside + 2_000 >= 1 << _ADDRESS_BITS:
            raise ValueError("too many outside addresses")


@dataclass(frozen=True)
class Vpc:
    id: str
    name: str
    cidr: str
    account: str


@dataclass(frozen=True)
class Subnet:
    id: str
    name: str
    cidr: str
    az: str
    az_id: str
    vpc: str
    account: str
    tier: str  # prod: public, web, app, data; shared services: private
    public: bool


@dataclass(frozen=True)
class Host:
    """One network interface (ENI) and what it belongs to. Instances have one primary interface each;
    the ALB's and NAT gateway's interfaces are requester-managed (no instance); idle ENIs are secondary
    interfaces of app-tier instances."""

    name: str  # the instance's Name tag (idle: "<instance>-standby"; ALB and NAT: their own name)
    role: str
    address: str  # primary private IPv4
    eni: str
    account: str
    vpc: str
    subnet: str
    az: str
    instance: str  # i-..., "" for the ALB and NAT gateway interfaces
    public_address: str = ""  # ALB, NAT gateway (Elastic IP) and bastion


class Connection(NamedTuple):
    """A request as an interface logged it: client -> server:port/protocol with the action at that interface.
    A request rejected by the server's security group is ACCEPT at the client's interface (egress is open)
    and REJECT at the server's, so it is in the truth twice."""

    client: str
    server: str
    port: int
    protocol: int
    action: str


@dataclass(frozen=True, eq=False)
class Truth:
    """What `vpc_generate` wrote. Addresses are strings; `connections` is built on first use."""

    root: Path
    start: datetime
    stop: datetime
    fields: str
    seed: int
    scale: Scale
    region: str
    accounts: tuple[str, ...]
    flow_logs: dict[str, str]  # account -> fl-... id in the file names
    vpcs: tuple[Vpc, ...]
    subnets: tuple[Subnet, ...]
    hosts: tuple[Host, ...]  # every interface, in ENI order
    internet_clients: tuple[str, ...]
    scanners: tuple[str, ...]
    public_servers: tuple[str, ...]
    offices: tuple[str, ...]
    dns_servers: tuple[str, ...]  # what instances query on :53/udp
    files: tuple[str, ...]  # keys relative to root, POSIX style, in writing order
    records: int  # data lines (headers excluded), NODATA and SKIPDATA included
    nodata: int
    skipdata: int
    rejects: int
    bytes: int  # gzip bytes written
    _keys: IntArray = field(repr=False)
    _addresses: tuple[str, ...] = field(repr=False)

    @property
    def start_epoch(self) -> int:
        return int(self.start.timestamp())

    @property
    def stop_epoch(self) -> int:
        return int(self.stop.timestamp())

    def paths(self) -> list[Path]:
        return [self.root.joinpath(*key.split("/")) for key in self.files]

    def by_role(self, role: str) -> tuple[Host, ...]:
        return tuple(host for host in self.hosts if host.role == role)

    def addresses(self, role: str) -> tuple[str, ...]:
        return tuple(host.address for host in self.by_role(role))

    @property
    def alb_addresses(self) -> tuple[str, ...]:
        return self.addresses(ALB)

    @property
    def nat_addresses(self) -> tuple[str, ...]:
        return self.addresses(NAT)

    @property
    def db_addresses(self) -> tuple[str, ...]:
        return self.addresses(POSTGRES)

    @property
    def instances(self) -> tuple[Host, ...]:
        return tuple(host for host in self.hosts if host.role in INSTANCE_ROLES)

    @cached_property
    def host_by_address(self) -> dict[str, Host]:
        return {host.address: host for host in self.hosts}

    @cached_property
    def host_by_eni(self) -> dict[str, Host]:
        return {host.eni: host for host in self.hosts}

    @cached_property
    def connections(self) -> frozenset[Connection]:
        keys = self._keys
        mask = (1 << _ADDRESS_BITS) - 1
        rows = zip(
            (keys >> 40).tolist(),
            ((keys >> 19) & mask).tolist(),
            ((keys >> 3) & 0xFFFF).tolist(),
            ((keys >> 1) & 3).tolist(),
            (keys & 1).tolist(),
            strict=True,
        )
        names, protocols, actions = self._addresses, _PROTO_OF_CODE, ("ACCEPT", "REJECT")
        return frozenset(
            Connection(names[c], names[s], p, protocols[q], actions[a]) for c, s, p, q, a in rows
        )

    def describe_json(self, root: Path) -> list[Path]:
        """Writes `<root>/<account>/<region>/describe-{vpcs,subnets,network-interfaces,instances}.json`, the
        output of `aws ec2 describe-* --output json` in each account for this estate; returns the paths."""
        return _describe_write(self, root)


def vpc_generate(
    root: Path,
    start: datetime,
    hours: float,
    *,
    scale: Scale | None = None,
    fields: str = "v2",
    seed: int = 7,
    compresslevel: int = 5,
) -> Truth:
    """Writes `hours` of flow logs from `start` (aware, on a file boundary) under `root`; see the module doc.

    `scale` defaults to Scale.small(). `hours` must cover a whole number of files. `compresslevel` is
    gzip's: 5 compresses about as well as zlib's default 6 (6.3 against 6.4 times) in 60 % of the time."""
    scale = scale or Scale.small()
    scale.validate()
    if fields not in FIELDS:
        raise ValueError(f"fields must be one of {sorted(FIELDS)}")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    period = scale.file_minutes * 60
    first = int(start.timestamp())
    if first % period:
        raise ValueError(f"start must be on a {scale.file_minutes}-minute boundary")
    files = hours * 60 / scale.file_minutes
    if files < 1 or abs(files - round(files)) > 1e-9:
        raise ValueError(f"hours must cover a whole number (>= 1) of {scale.file_minutes}-minute files")
    topology = _Topology(scale, seed)
    renderer = _Renderer(topology, FIELDS[fields])
    written: list[str] = []
    key_parts: list[IntArray] = []
    figures = {"records": 0, "nodata": 0, "skipdata": 0, "rejects": 0}
    sizes: list[Future[int]] = []
    pending: deque[Future[int]] = deque()
    # zlib releases the GIL: files compress on helper threads while the next interval is drawn.
    with ThreadPoolExecutor(max_workers=max(1, min(4, (os.cpu_count() or 2) - 1))) as pool:
        for number in range(round(files)):
            t0 = first + number * period
            columns, keys = _Interval(topology, seed, t0, period).draw()
            key_parts.append(keys)
            owner = topology.eni_account[columns["eni"]]
            for account_index, account in enumerate(ACCOUNTS):
                rows = np.flatnonzero(owner == account_index)
                if not rows.size:
                    continue  # AWS publishes no empty files
                part = {name: column[rows] for name, column in columns.items()}
                body = renderer.render(part)
                key = _file_key(topology, account, t0, seed)
                written.append(key)
                future = pool.submit(_gzip_write, root.joinpath(*key.split("/")), body, compresslevel)
                sizes.append(future)
                pending.append(future)
                status = part["status"]
                figures["records"] += int(rows.size)
                figures["nodata"] += int(np.count_nonzero(status == NODATA))
                figures["skipdata"] += int(np.count_nonzero(status == SKIPDATA))
                figures["rejects"] += int(np.count_nonzero(part["action"] == REJECT))
            while len(pending) > 8:  # bounds the rendered text held in memory
                pending.popleft().result()
    keys = np.unique(np.concatenate(key_parts)) if key_parts else np.zeros(0, np.int64)
    return topology.truth(
        root=root,
        start=datetime.fromtimestamp(first, UTC),
        stop=datetime.fromtimestamp(first + round(files) * period, UTC),
        fields=fields,
        files=tuple(written),
        keys=keys,
        byte_count=sum(future.result() for future in sizes),
        **figures,
    )


# --- the estate --------------------------------------------------------------------------------------------


def _hex(*parts: object, length: int = 17) -> str:
    """A stable hex id: interfaces and instances keep their ids when only the traffic (seed) changes.
    17 digits are an AWS long resource id, which starts with 0 (eni-0…, i-0…)."""
    digits = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return "0" + digits[:16] if length == 17 else digits[:length]


def _ip(value: int) -> str:
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


def _ip_int(text: str) -> int:
    a, b, c, d = (int(part) for part in text.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


# Not globally routable, or documentation ranges: outside addresses avoid them so they read as internet.
_RESERVED = (
    ("0.0.0.0", 8),
    ("10.0.0.0", 8),
    ("100.64.0.0", 10),
    ("127.0.0.0", 8),
    ("169.254.0.0", 16),
    ("172.16.0.0", 12),
    ("192.0.0.0", 24),
    ("192.0.2.0", 24),
    ("192.88.99.0", 24),
    ("192.168.0.0", 16),
    ("198.18.0.0", 15),
    ("198.51.100.0", 24),
    ("203.0.113.0", 24),
    ("224.0.0.0", 3),  # multicast, reserved and broadcast
)


def _public_addresses(rng: np.random.Generator, count: int) -> list[str]:
    """`count` distinct globally routable IPv4 addresses (not ending in .0 or .255), in draw order."""
    chosen: list[int] = []
    seen: set[int] = set()
    while len(chosen) < count:
        values = rng.integers(1 << 24, 1 << 32, size=2 * (count - len(chosen)) + 64, dtype=np.int64)
        keep = (values & 255 != 0) & (values & 255 != 255)
        for network, bits in _RESERVED:
            keep &= (values >> (32 - bits)) != (_ip_int(network) >> (32 - bits))
        for value in values[keep].tolist():
            if value not in seen:
                seen.add(value)
                chosen.append(value)
                if len(chosen) == count:
                    break
    return [_ip(value) for value in chosen]


@dataclass
class _Placed:
    """A host being built: its subnet and address are decided by the tier allocator."""

    name: str
    role: str
    az: int
    account: str
    vpc: Vpc
    tier: str
    owner: str = ""  # idle ENIs: the instance they are attached to
    subnet: Subnet | None = None
    address: str = ""


class _Topology:
    """The estate, and the arrays the interval generator draws from. Interface i has address index i."""

    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.seed = seed
        rng = np.random.default_rng([seed, 1])
        self.vpcs = (
            Vpc("vpc-" + _hex(PROD_ACCOUNT, "vpc", "prod"), "prod", "10.0.0.0/16", PROD_ACCOUNT),
            Vpc(
                "vpc-" + _hex(SHARED_ACCOUNT, "vpc", "shared"),
                "shared-services",
                "10.1.0.0/16",
                SHARED_ACCOUNT,
            ),
        )
        self.flow_logs = {vpc.account: "fl-" + _hex(vpc.account, "flow-log", vpc.id) for vpc in self.vpcs}
        self.subnets: list[Subnet] = []
        placed = self._place(scale)
        outside = _public_addresses(
            rng,
            scale.alb_enis
            + scale.nat_gateways
            + 1
            + scale.internet_clients
            + scale.scanners
            + scale.public_servers
            + scale.offices,
        )
        facing = [item.name for item in placed if item.role in (ALB, NAT, BASTION)]
        public_of = dict(zip(facing, outside, strict=False))
        outside = outside[len(facing) :]
        self.hosts: tuple[Host, ...] = tuple(
            self._host(item, public_of.get(item.name, "")) for item in placed
        )

        # The address table: interfaces, the two VPC .2 resolvers, then the outside populations, then "-".
        addresses = [host.address for host in self.hosts] + ["10.0.0.2", "10.1.0.2"]
        self.vpc2 = np.array([len(self.hosts), len(self.hosts) + 1])
        self.clients_at = len(addresses)
        self.clients = outside[: scale.internet_clients]
        self.scanners_at = self.clients_at + scale.internet_clients
        self.scanners = outside[scale.internet_clients : scale.internet_clients + scale.scanners]
        self.servers_at = self.scanners_at + scale.scanners
        rest = outside[scale.internet_clients + scale.scanners :]
        self.servers = rest[: scale.public_servers]
        self.offices_at = self.servers_at + scale.public_servers
        self.offices = rest[scale.public_servers :]
        addresses += self.clients + self.scanners + self.servers + self.offices
        self.dash = len(addresses)
        self.addresses = (*addresses, "-")

        def index(*roles: str) -> IntArray:
            return np.array([i for i, h in enumerate(self.hosts) if h.role in roles], dtype=np.int64)

        self.role = {role: index(role) for role in (ALB, NAT, BASTION, WEB, APP, WORKER, POSTGRES)}
        self.role |= {role: index(role) for role in (REDIS, KAFKA, MONITORING, DNS, IDLE)}
        self.instances = index(*INSTANCE_ROLES)
        self.eni_account = np.array([ACCOUNTS.index(h.account) for h in self.hosts], dtype=np.int64)
        vpc_ids = [vpc.id for vpc in self.vpcs]
        self.eni_vpc = np.array([vpc_ids.index(h.vpc) for h in self.hosts], dtype=np.int64)
        # Instances reach the internet through their AZ's NAT gateway (or the first, when AZs outnumber them).
        nat_of_az = {self.hosts[i].az: i for i in self.role[NAT].tolist()}
        first_nat = int(self.role[NAT][0])
        self.nat_of = np.array([nat_of_az.get(h.az, first_nat) for h in self.hosts], dtype=np.int64)

        # Who is busy: internet clients and scanners by a heavy-tailed activity, servers by popularity.
        self.client_cdf = _cdf(rng.lognormal(0.0, 1.2, scale.internet_clients))
        self.scanner_cdf = _cdf(rng.lognormal(0.0, 1.5, scale.scanners))
        self.server_cdf = _cdf(1.0 / np.arange(1, scale.public_servers + 1) ** 0.8)
        if scale.dns_mode == "resolver":
            self.dns_servers = tuple(self.hosts[i].address for i in self.role[DNS].tolist())
        else:
            self.dns_servers = ("10.0.0.2", "10.1.0.2")

    # Subnets and addresses.

    def _place(self, scale: Scale) -> list[_Placed]:
        prod, shared = self.vpcs
        azs = scale.azs
        items: list[_Placed] = []

        def add(role: str, count: int, tier: str, vpc: Vpc = prod) -> None:
            for i in range(count):
                items.append(_Placed(f"{role}-{i + 1:03d}", role, i % azs, vpc.account, vpc, tier))

        for i in range(scale.alb_enis):
            items.append(_Placed(f"alb-prod-web-{i + 1}", ALB, i % azs, PROD_ACCOUNT, prod, "public"))
        for i in range(scale.nat_gateways):
            items.append(_Placed(f"nat-prod-{i + 1}", NAT, i % azs, PROD_ACCOUNT, prod, "public"))
        items.append(_Placed("bastion", BASTION, 0, PROD_ACCOUNT, prod, "public"))
        add(WEB, scale.web, "web")
        add(APP, scale.app, "app")
        add(WORKER, scale.workers, "app")
        add(POSTGRES, scale.postgres, "data")
        add(REDIS, scale.redis, "data")
        add(KAFKA, scale.kafka, "data")
        add(MONITORING, scale.monitoring, "private", shared)
        if scale.dns_mode == "resolver":
            add(DNS, scale.dns, "private", shared)
        app_tier = [item for item in items if item.role in (APP, WORKER)]
        for i in range(scale.idle_enis):
            owner = app_tier[(i * 7) % len(app_tier)]
            items.append(
                _Placed(f"{owner.name}-standby", IDLE, owner.az, PROD_ACCOUNT, prod, "app", owner=owner.name)
            )
        bases = {"public": 0, "web": 10, "app": 20, "data": 40, "private": 10}
        for vpc in self.vpcs:
            for tier, base in bases.items():
                members = [item for item in items if item.vpc is vpc and item.tier == tier]
                if members:
                    self._allocate(vpc, tier, base, members, azs)
        return items

    def _allocate(self, vpc: Vpc, tier: str, base: int, members: list[_Placed], azs: int) -> None:
        octet = base
        for az in range(azs):
            in_az = [item for item in members if item.az == az]
            for chunk in range(max(1, math.ceil(len(in_az) / _SUBNET_HOSTS))):
                if octet >= base + 10:
                    raise ValueError(f"too many {tier} hosts for ten /24 subnets")
                letter = AZ_NAMES[az][-1]
                name = f"{vpc.name}-{tier}-{letter}" + (f"-{chunk + 1}" if chunk else "")
                cidr = f"{vpc.cidr.split('.')[0]}.{vpc.cidr.split('.')[1]}.{octet}.0/24"
                subnet = Subnet(
                    "subnet-" + _hex(vpc.account, "subnet", cidr),
                    name,
                    cidr,
                    AZ_NAMES[az],
                    AZ_IDS[az],
                    vpc.id,
                    vpc.account,
                    tier,
                    tier == "public",
                )
                self.subnets.append(subnet)
                prefix = cidr.rsplit(".", 1)[0]
                for slot, item in enumerate(in_az[chunk * _SUBNET_HOSTS : (chunk + 1) * _SUBNET_HOSTS]):
                    item.subnet = subnet
                    item.address = f"{prefix}.{10 + slot}"
                octet += 1

    def _host(self, item: _Placed, public_address: str) -> Host:
        assert item.subnet is not None
        eni = "eni-" + _hex(item.account, "eni", item.name)
        if item.role in (ALB, NAT):
            instance = ""
        elif item.role == IDLE:
            instance = "i-" + _hex(item.account, "instance", item.owner)
        else:
            instance = "i-" + _hex(item.account, "instance", item.name)
        return Host(
            item.name,
            item.role,
            item.address,
            eni,
            item.account,
            item.vpc.id,
            item.subnet.id,
            item.subnet.az,
            instance,
            public_address,
        )

    def truth(
        self,
        *,
        root: Path,
        start: datetime,
        stop: datetime,
        fields: str,
        files: tuple[str, ...],
        keys: IntArray,
        byte_count: int,
        records: int,
        nodata: int,
        skipdata: int,
        rejects: int,
    ) -> Truth:
        return Truth(
            root=root,
            start=start,
            stop=stop,
            fields=fields,
            seed=self.seed,
            scale=self.scale,
            region=REGION,
            accounts=ACCOUNTS,
            flow_logs=dict(self.flow_logs),
            vpcs=self.vpcs,
            subnets=tuple(self.subnets),
            hosts=self.hosts,
            internet_clients=tuple(self.clients),
            scanners=tuple(self.scanners),
            public_servers=tuple(self.servers),
            offices=tuple(self.offices),
            dns_servers=self.dns_servers,
            files=files,
            records=records,
            nodata=nodata,
            skipdata=skipdata,
            rejects=rejects,
            bytes=byte_count,
            _keys=keys,
            _addresses=self.addresses,
        )


def _cdf(weights: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
    cdf = np.cumsum(weights, dtype=np.float64)
    return np.asarray(cdf / cdf[-1], dtype=np.float64)


# --- traffic -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    share: float  # of the record budget
    per_flow: int  # records one flow writes (for the budget)
    diurnal: bool
    request: tuple[int, int, int, int]  # packets low, high; bytes per packet low, high
    reply: tuple[int, int, int, int]
    short: float  # share of TCP flows opened and closed within their record (flags SYN+FIN / SYN-ACK+FIN)


# Byte profiles say what each service does: database and metrics replies outweigh their requests, Kafka
# producers send more than they get back, DNS is one small datagram each way.
_KINDS: dict[str, _Kind] = {
    "internet": _Kind(0.32, 2, True, (4, 60, 60, 700), (4, 120, 400, 1400), 0.6),
    "alb_web": _Kind(0.07, 4, True, (3, 40, 80, 900), (3, 100, 300, 1400), 0.3),
    "web_app": _Kind(0.18, 4, True, (3, 30, 80, 800), (3, 80, 200, 1400), 0.4),
    "app_postgres": _Kind(0.05, 4, True, (2, 30, 60, 400), (2, 200, 300, 1400), 0.1),
    "app_redis": _Kind(0.05, 4, True, (2, 40, 60, 200), (2, 40, 60, 600), 0.05),
    "app_kafka": _Kind(0.04, 4, True, (3, 200, 200, 1400), (2, 60, 60, 120), 0.05),
    "worker_postgres": _Kind(0.03, 4, False, (2, 60, 60, 600), (4, 400, 300, 1400), 0.1),
    "worker_kafka": _Kind(0.04, 4, False, (2, 40, 60, 150), (4, 300, 600, 1400), 0.05),
    "nat": _Kind(0.09, 6, True, (4, 40, 60, 900), (4, 80, 200, 1400), 0.7),
    "dns": _Kind(0.04, 4, False, (1, 1, 60, 90), (1, 1, 80, 400), 0.0),
    "prometheus": _Kind(0.05, 4, False, (1, 4, 80, 300), (4, 60, 600, 1400), 0.0),
    "ssh": _Kind(0.003, 4, True, (10, 2000, 60, 300), (10, 3000, 60, 1400), 0.05),
    "office": _Kind(0.002, 2, True, (10, 2000, 60, 300), (10, 3000, 60, 1400), 0.05),
    "scan": _Kind(0.12, 1, False, (1, 3, 40, 60), (0, 0, 0, 0), 0.0),
    "misconfigured": _Kind(0.002, 2, False, (1, 3, 60, 60), (0, 0, 0, 0), 0.0),
}
_SHARE_TOTAL = sum(kind.share for kind in _KINDS.values())

# Well-known ports scanners try (443 is the ALB's listener: a probe there would be accepted, not a scan).
_SCAN_PORTS = np.array(
    [21, 22, 23, 25, 53, 80, 110, 123, 135, 139, 161, 445, 1433, 1900, 2375, 3306, 3389, 5060, 5432, 5900, 6379,
     8080, 8443, 9200, 11211, 27017],
    dtype=np.int64,
)  # fmt: skip
_UDP_SCAN_PORTS = (53, 123, 161, 1900, 5060, 11211)
_COLUMNS = (
    "eni", "src", "dst", "sport", "dport", "proto", "packets", "bytes", "start", "end", "action", "status",
    "psrc", "pdst", "direction", "path", "flags",
)  # fmt: skip


@dataclass(frozen=True)
class _Flows:
    """n flows of one kind: endpoints (address indices), ports, volumes each way, capture window, TCP flags."""

    client: IntArray
    server: IntArray
    cport: IntArray
    port: IntArray
    proto: int
    request: tuple[IntArray, IntArray]  # packets, bytes
    reply: tuple[IntArray, IntArray]
    start: IntArray
    end: IntArray
    request_flags: IntArray
    reply_flags: IntArray

    @property
    def size(self) -> int:
        return int(self.client.size)


class _Interval:
    """One file interval's records, drawn from its own random stream."""

    def __init__(self, topology: _Topology, seed: int, t0: int, period: int) -> None:
        self.top = topology
        self.scale = topology.scale
        self.rng = np.random.default_rng([seed, 2, t0])
        self.t0 = t0
        self.period = period
        self.number = t0 // period  # global interval number: round-robin positions continue across windows
        hour = ((t0 + period / 2) % 86400) / 3600
        self.load = 1.0 + self.scale.diurnal * math.sin(2 * math.pi * (hour - 9) / 24)
        self.budget = self.scale.records_per_hour * period / 3600
        self.parts: dict[str, list[IntArray]] = {name: [] for name in _COLUMNS}
        self.keys: list[IntArray] = []

    def draw(self) -> tuple[dict[str, IntArray], IntArray]:
        """The interval's record columns (unsorted) and the packed keys of the connections they log."""
        self._internet()
        self._between_roles("alb_web", ALB, (WEB,), WEB_PORT)
        self._between_roles("web_app", WEB, (APP,), APP_PORT)
        self._between_roles("app_postgres", APP, (POSTGRES,), POSTGRES_PORT)
        self._between_roles("app_redis", APP, (REDIS,), REDIS_PORT)
        self._between_roles("app_kafka", APP, (KAFKA,), KAFKA_PORT)
        if self.scale.workers:
            self._between_roles("worker_postgres", WORKER, (POSTGRES,), POSTGRES_PORT)
            self._between_roles("worker_kafka", WORKER, (KAFKA,), KAFKA_PORT)
        self._nat()
        self._dns()
        self._prometheus()
        self._between_roles("ssh", BASTION, (APP, POSTGRES), SSH_PORT)
        self._office()
        self._scan()
        self._misconfigured()
        self._nodata()
        self._skipdata()
        columns = {name: np.concatenate(parts) for name, parts in self.parts.items()}
        return columns, np.unique(np.concatenate(self.keys))

    # Drawing.

    def _count(self, name: str) -> int:
        return int(self.rng.poisson(self._mean(name) * (self.load if _KINDS[name].diurnal else 1.0)))

    def _mean(self, name: str) -> float:
        """Flows of kind `name` per interval at the day's mean load."""
        kind = _KINDS[name]
        per_flow = 2 if name == "dns" and self.scale.dns_mode == "vpc2" else kind.per_flow
        return self.budget * kind.share / _SHARE_TOTAL / per_flow

    def _pick(self, pool: IntArray, n: int) -> IntArray:
        return pool[self.rng.integers(0, pool.size, n)]

    def _weighted(self, cdf: npt.NDArray[np.float64], at: int, n: int) -> IntArray:
        index = np.searchsorted(cdf, self.rng.random(n), side="right")
        return at + np.minimum(index, cdf.size - 1).astype(np.int64)

    def _ports(self, n: int, low: int = EPHEMERAL[0], high: int = EPHEMERAL[1]) -> IntArray:
        return self.rng.integers(low, high + 1, n)

    def _times(self, n: int) -> tuple[IntArray, IntArray]:
        """Start and end of each flow's record: within one minute (the aggregation interval) of the file's."""
        minute = self.rng.integers(0, self.period // 60, n)
        offset = self.rng.integers(0, 60, n)
        start = self.t0 + 60 * minute + offset
        return start, start + (self.rng.random(n) * (60 - offset)).astype(np.int64)

    def _volume(self, n: int, profile: tuple[int, int, int, int]) -> tuple[IntArray, IntArray]:
        low, high, size_low, size_high = profile
        # Log-uniform packet counts: most flows small, a few large.
        packets = np.exp(self.rng.uniform(math.log(low), math.log(high + 1), n)).astype(np.int64)
        packets = np.clip(packets, low, high)
        return packets, packets * self.rng.integers(size_low, size_high + 1, n)

    def _flags(self, n: int, short: float) -> tuple[IntArray, IntArray]:
        """TCP flags of request and reply: short flows SYN+FIN / SYN-ACK+FIN, some opening (SYN / SYN-ACK),
        the rest long-lived and mid-stream (no flag)."""
        draw = self.rng.random(n)
        request = np.where(draw < short, SYN_FIN, np.where(draw < short + 0.1, SYN, 0))
        reply = np.where(draw < short, SYN_ACK_FIN, np.where(draw < short + 0.1, SYN_ACK, 0))
        return request.astype(np.int64), reply.astype(np.int64)

    def _flows(self, name: str, client: IntArray, server: IntArray, port: int, proto: int = TCP) -> _Flows:
        kind, n = _KINDS[name], client.size
        if proto == TCP:
            request_flags, reply_flags = self._flags(n, kind.short)
        else:
            request_flags = reply_flags = np.zeros(n, dtype=np.int64)
        start, end = self._times(n)
        return _Flows(
            client=client,
            server=server,
            cport=self._ports(n),
            port=np.full(n, port, dtype=np.int64),
            proto=proto,
            request=self._volume(n, kind.request),
            reply=self._volume(n, kind.reply)
            if kind.reply[1]
            else (np.zeros(n, np.int64), np.zeros(n, np.int64)),
            start=start,
            end=end,
            request_flags=request_flags,
            reply_flags=reply_flags,
        )

    # Recording.

    def _record(self, **values: IntArray | int) -> None:
        n = int(np.asarray(values["start"]).size)
        for name in _COLUMNS:
            self.parts[name].append(np.broadcast_to(np.asarray(values[name], dtype=np.int64), (n,)))

    def _request_at(
        self,
        eni: IntArray,
        f: _Flows,
        *,
        direction: int,
        path: IntArray | int = 0,
        action: int = ACCEPT,
        src: IntArray | None = None,
        dst: IntArray | None = None,
        sport: IntArray | None = None,
        pdst: IntArray | None = None,
    ) -> None:
        """The request (client -> server) as interface `eni` logs it; NAT legs override addresses and ports."""
        src = f.client if src is None else src
        dst = f.server if dst is None else dst
        packets, nbytes = f.request
        self._record(
            eni=eni, src=src, dst=dst, sport=f.cport if sport is None else sport, dport=f.port, proto=f.proto,
            packets=packets, bytes=nbytes, start=f.start, end=f.end, action=action, status=OK,
            psrc=src, pdst=dst if pdst is None else pdst, direction=direction, path=path, flags=f.request_flags,
        )  # fmt: skip
        self._connection(src, dst, f.port, f.proto, action)

    def _reply_at(
        self,
        eni: IntArray,
        f: _Flows,
        *,
        direction: int,
        path: IntArray | int = 0,
        src: IntArray | None = None,
        dst: IntArray | None = None,
        dport: IntArray | None = None,
        psrc: IntArray | None = None,
    ) -> None:
        """The reply (server -> client, ports swapped) as interface `eni` logs it."""
        src = f.server if src is None else src
        dst = f.client if dst is None else dst
        packets, nbytes = f.reply
        self._record(
            eni=eni, src=src, dst=dst, sport=f.port, dport=f.cport if dport is None else dport, proto=f.proto,
            packets=packets, bytes=nbytes, start=f.start, end=f.end, action=ACCEPT, status=OK,
            psrc=src if psrc is None else psrc, pdst=dst, direction=direction, path=path, flags=f.reply_flags,
        )  # fmt: skip

    def _connection(
        self, client: IntArray, server: IntArray, port: IntArray, proto: int, action: int
    ) -> None:
        """Notes a connection the truth promises: client -> server:port/proto as one interface logged it."""
        key = (client << 40) | (server << 19) | (port << 3) | (_PROTO_CODE[proto] << 1) | action
        self.keys.append(key.astype(np.int64))

    # Traffic.

    def _internal(self, name: str, client: IntArray, server: IntArray, port: int, proto: int = TCP) -> None:
        """Flows between two VPC interfaces: both log the request and the reply."""
        f = self._flows(name, client, server, port, proto)
        path = np.where(self.top.eni_vpc[client] == self.top.eni_vpc[server], PATH_VPC, PATH_PEERING)
        self._request_at(client, f, direction=EGRESS, path=path)
        self._reply_at(client, f, direction=INGRESS)
        self._request_at(server, f, direction=INGRESS)
        self._reply_at(server, f, direction=EGRESS, path=path)

    def _between_roles(self, name: str, client_role: str, server_roles: tuple[str, ...], port: int) -> None:
        n = self._count(name)
        servers = np.concatenate([self.top.role[role] for role in server_roles])
        self._internal(name, self._pick(self.top.role[client_role], n), self._pick(servers, n), port)

    def _outside_in(self, name: str, client: IntArray, server: IntArray, port: int, path: int) -> None:
        """Flows from the internet to a public-facing interface: only that interface logs them."""
        f = self._flows(name, client, server, port)
        self._request_at(server, f, direction=INGRESS)
        self._reply_at(server, f, direction=EGRESS, path=path)

    def _internet(self) -> None:
        n = self._count("internet")
        clients = self._weighted(self.top.client_cdf, self.top.clients_at, n)
        self._outside_in("internet", clients, self._pick(self.top.role[ALB], n), HTTPS, PATH_IGW)

    def _office(self) -> None:
        n = self._count("office")
        offices = self.top.offices_at + self.rng.integers(0, len(self.top.offices), n)
        self._outside_in("office", offices, self._pick(self.top.role[BASTION], n), SSH_PORT, PATH_IGW_NITRO)

    def _nat(self) -> None:
        n = self._count("nat")
        client = self._pick(np.concatenate([self.top.role[APP], self.top.role[WORKER]]), n)
        server = self._weighted(self.top.server_cdf, self.top.servers_at, n)
        nat = self.top.nat_of[client]
        f = self._flows("nat", client, server, HTTPS)
        translated = self._ports(n, *NAT_PORTS)
        # The instance's interface sees the internet server itself (the NAT gateway is its route, not its peer).
        self._request_at(client, f, direction=EGRESS, path=PATH_VPC)
        self._reply_at(client, f, direction=INGRESS)
        # The NAT gateway's interface logs both legs; pkt-* keep the addresses the packets really carry.
        self._request_at(nat, f, direction=INGRESS, dst=nat, pdst=server)
        self._request_at(nat, f, direction=EGRESS, path=PATH_IGW, src=nat, sport=translated)
        self._reply_at(nat, f, direction=INGRESS, dst=nat, dport=translated)
        self._reply_at(nat, f, direction=EGRESS, path=PATH_VPC, src=nat, psrc=server)

    def _round_robin(self, name: str, pairs: int) -> IntArray:
        """Pair numbers for `name`: a fixed count per interval, consecutive intervals taking consecutive
        slices, so every pair (every instance scraped, every instance resolving) comes round within
        pairs / count intervals (the small preset: within the hour; the large: within three hours)."""
        count = max(1, round(self._mean(name)))
        return (self.number * count + np.arange(count, dtype=np.int64)) % pairs

    def _dns(self) -> None:
        clients = self.top.instances
        if self.scale.dns_mode == "resolver":
            clients = clients[~np.isin(clients, self.top.role[DNS])]
            client = clients[self._round_robin("dns", clients.size)]
            self._internal("dns", client, self._pick(self.top.role[DNS], client.size), DNS_PORT, UDP)
            return
        # Amazon's resolver has no interface: only the querying instance's logs the exchange.
        client = clients[self._round_robin("dns", clients.size)]
        f = self._flows("dns", client, self.top.vpc2[self.top.eni_vpc[client]], DNS_PORT, UDP)
        self._request_at(client, f, direction=EGRESS, path=PATH_VPC)
        self._reply_at(client, f, direction=INGRESS)

    def _prometheus(self) -> None:
        monitors, targets = self.top.role[MONITORING], self.top.instances
        pick = self._round_robin("prometheus", monitors.size * targets.size)
        monitor, target = monitors[pick // targets.size], targets[pick % targets.size]
        keep = monitor != target  # a Prometheus scrapes itself over loopback, which no interface sees
        self._internal("prometheus", monitor[keep], target[keep], NODE_EXPORTER_PORT)

    def _scan(self) -> None:
        """Probes from scanners to the public-facing interfaces: REJECTed there, never answered."""
        n = self._count("scan")
        scanner = self._weighted(self.top.scanner_cdf, self.top.scanners_at, n)
        target = self._pick(np.concatenate([self.top.role[ALB], self.top.role[BASTION]]), n)
        port = _SCAN_PORTS[self.rng.integers(0, _SCAN_PORTS.size, n)]
        port = np.where(
            self.rng.random(n) < self.scale.scan_random_ports, self.rng.integers(1, 65536, n), port
        )
        port = np.where(port == HTTPS, HTTPS + 1, port)
        sport = self._ports(n, 1024, 65535)
        start, end = self._times(n)
        draw = self.rng.random(n)
        udp = np.isin(port, _UDP_SCAN_PORTS) & (draw < 0.8)
        icmp = draw > 0.95
        packets = self.rng.integers(1, 4, n)
        size = np.where(udp | icmp, self.rng.integers(28, 101, n), self.rng.integers(40, 61, n))
        for proto, rows in ((TCP, ~udp & ~icmp), (UDP, udp), (ICMP, icmp)):
            m = int(rows.sum())
            ports = (
                (sport[rows], port[rows]) if proto != ICMP else (np.zeros(m, np.int64), np.zeros(m, np.int64))
            )
            f = _Flows(
                client=scanner[rows],
                server=target[rows],
                cport=ports[0],  # ICMP has no ports: AWS writes 0 0
                port=ports[1],
                proto=proto,
                request=(packets[rows], packets[rows] * size[rows]),
                reply=(np.zeros(m, np.int64), np.zeros(m, np.int64)),
                start=start[rows],
                end=end[rows],
                request_flags=np.full(m, SYN if proto == TCP else 0, dtype=np.int64),
                reply_flags=np.zeros(m, np.int64),
            )
            self._request_at(f.server, f, direction=INGRESS, action=REJECT)

    def _misconfigured(self) -> None:
        """One or two app servers still point at an old PostgreSQL port: their SYNs leave (egress is open,
        ACCEPT at the app) and the database's security group drops them (REJECT there). No reply."""
        n = self._count("misconfigured")
        client = self._pick(self.top.role[APP][:2], n)
        f = self._flows("misconfigured", client, np.full(n, self.top.role[POSTGRES][0]), MISCONFIGURED_PORT)
        f = replace(f, request_flags=np.full(n, SYN, dtype=np.int64))
        self._request_at(client, f, direction=EGRESS, path=PATH_VPC)
        self._request_at(f.server, f, direction=INGRESS, action=REJECT)

    def _status(self, eni: IntArray, minute: IntArray, status: int) -> None:
        """NODATA or SKIPDATA records: only the interface and the capture window (one minute) are known."""
        start = self.t0 + 60 * minute + self.rng.integers(0, 3, eni.size)
        end = self.t0 + 60 * minute + 59 - self.rng.integers(0, 3, eni.size)
        dash = self.top.dash
        self._record(
            eni=eni, src=dash, dst=dash, sport=0, dport=0, proto=0, packets=0, bytes=0, start=start, end=end,
            action=NO_ACTION, status=status, psrc=dash, pdst=dash, direction=NO_DIRECTION, path=0, flags=-1,
        )  # fmt: skip

    def _nodata(self) -> None:
        """Idle interfaces write NODATA for every aggregation interval (minute)."""
        idle, minutes = self.top.role[IDLE], self.period // 60
        if idle.size:
            self._status(
                np.repeat(idle, minutes), np.tile(np.arange(minutes, dtype=np.int64), idle.size), NODATA
            )

    def _skipdata(self) -> None:
        """The busiest interfaces (ALB, NAT gateway) now and then lose a minute's records to SKIPDATA."""
        busy = np.concatenate([self.top.role[ALB], self.top.role[NAT]])
        hits = np.flatnonzero(self.rng.random(busy.size * (self.period // 60)) < self.scale.skipdata_rate)
        if hits.size:
            self._status(busy[hits % busy.size], hits // busy.size, SKIPDATA)


# --- files -------------------------------------------------------------------------------------------------


class _Renderer:
    """Record columns -> the text of one file (header line, then one line per record), through polars."""

    def __init__(self, topology: _Topology, fields: list[str]) -> None:
        self.fields = fields
        self.version = "5" if "flow-direction" in fields else "2"  # a custom format: its highest version
        hosts = topology.hosts
        self.tables = {
            "address": pl.Series(topology.addresses, dtype=pl.String),
            "account": pl.Series([h.account for h in hosts], dtype=pl.String),
            "eni": pl.Series([h.eni for h in hosts], dtype=pl.String),
            "vpc": pl.Series([h.vpc for h in hosts], dtype=pl.String),
            "subnet": pl.Series([h.subnet for h in hosts], dtype=pl.String),
            "instance": pl.Series([h.instance or "-" for h in hosts], dtype=pl.String),
            "az": pl.Series([AZ_IDS[AZ_NAMES.index(h.az)] for h in hosts], dtype=pl.String),
            "action": pl.Series(["ACCEPT", "REJECT", "-"], dtype=pl.String),
            "status": pl.Series(["OK", "NODATA", "SKIPDATA"], dtype=pl.String),
            "direction": pl.Series(["ingress", "egress", "-"], dtype=pl.String),
            "path": pl.Series(["-", *(str(i) for i in range(1, 9))], dtype=pl.String),
            "flags": pl.Series(["-", *(str(i) for i in range(32))], dtype=pl.String),
            "type": pl.Series(["IPv4", "-"], dtype=pl.String),
        }

    def render(self, columns: dict[str, IntArray]) -> bytes:
        # AWS files hold records roughly in capture order; sorting by start, then interface, is deterministic.
        order = np.lexsort((columns["eni"], columns["start"]))
        c = {name: column[order] for name, column in columns.items()}
        t = self.tables
        ok = c["status"] == OK
        by_eni = {"account-id": "account", "interface-id": "eni", "vpc-id": "vpc", "subnet-id": "subnet"}
        by_eni |= {"instance-id": "instance", "az-id": "az"}
        by_address = {"srcaddr": "src", "dstaddr": "dst", "pkt-srcaddr": "psrc", "pkt-dstaddr": "pdst"}
        by_code = {"action": ("action", 0), "log-status": ("status", 0), "flow-direction": ("direction", 0)}
        by_code |= {"traffic-path": ("path", 0), "tcp-flags": ("flags", 1)}
        numeric = {"srcport": "sport", "dstport": "dport", "protocol": "proto", "packets": "packets"}
        numeric |= {"bytes": "bytes", "start": "start", "end": "end"}
        data: dict[str, pl.Series | npt.NDArray[Any]] = {"ok": ok}
        # Only the layout's columns are built: a v2 file needs 14 of the 25.
        for name in self.fields:
            if name in by_eni:
                data[name] = t[by_eni[name]].gather(c["eni"])
            elif name in by_address:
                data[name] = t["address"].gather(c[by_address[name]])
            elif name in by_code:
                table, shift = by_code[name]
                data[name] = t[table].gather(c[table] + shift)
            elif name in numeric:
                data[name] = c[numeric[name]]
            elif name == "type":
                data[name] = t["type"].gather((~ok).astype(np.int64))
        frame = pl.DataFrame(data)
        numbers = ("srcport", "dstport", "protocol", "packets", "bytes")
        expressions = {
            name: pl.when(pl.col("ok")).then(pl.col(name).cast(pl.String)).otherwise(pl.lit("-"))
            for name in numbers
            if name in data
        }
        expressions |= {"start": pl.col("start").cast(pl.String), "end": pl.col("end").cast(pl.String)}
        expressions |= {"version": pl.lit(self.version), "region": pl.lit(REGION)}
        line = pl.concat_str([expressions.get(name, pl.col(name)) for name in self.fields], separator=" ")
        out = io.BytesIO()
        out.write((" ".join(self.fields) + "\n").encode())
        frame.select(line.alias("line")).write_csv(out, include_header=False, quote_style="never")
        return out.getvalue()


def _file_key(topology: _Topology, account: str, t0: int, seed: int) -> str:
    stamp = datetime.fromtimestamp(t0, UTC)
    flow_log = topology.flow_logs[account]
    digest = _hex(flow_log, t0, seed, length=8)
    name = f"{account}_vpcflowlogs_{REGION}_{flow_log}_{stamp:%Y%m%dT%H%MZ}_{digest}.log.gz"
    return f"AWSLogs/{account}/vpcflowlogs/{REGION}/{stamp:%Y/%m/%d}/{name}"


def _gzip_write(path: Path, body: bytes, compresslevel: int) -> int:
    data = gzip.compress(body, compresslevel=compresslevel, mtime=0)  # mtime 0: the same bytes every run
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


# --- aws ec2 describe-* ------------------------------------------------------------------------------------

_LAUNCHED = "2024-01-15T09:30:00+00:00"
_INSTANCE_TYPES = {
    BASTION: "t3.micro",
    WEB: "c6i.large",
    APP: "m6i.xlarge",
    WORKER: "c6i.2xlarge",
    POSTGRES: "r6i.2xlarge",
    REDIS: "r6g.large",
    KAFKA: "m6i.2xlarge",
    MONITORING: "m6i.large",
    DNS: "t3.small",
}
_ALB_ID = _hex("alb", "prod-web", length=16)
_ELB_REQUESTER = "amazon-elb"
_NAT_REQUESTER = "610289107524"  # NAT gateway interfaces name an AWS-owned account as their requester


def _tags(name: str, **more: str) -> list[dict[str, str]]:
    return [{"Key": "Name", "Value": name}, *({"Key": k, "Value": v} for k, v in more.items())]


def _private_dns(address: str) -> str:
    return f"ip-{address.replace('.', '-')}.ec2.internal"  # us-east-1 names; other regions use <region>.compute.internal


def _public_dns(address: str) -> str:
    return f"ec2-{address.replace('.', '-')}.compute-1.amazonaws.com"


def _group(host: Host) -> dict[str, str]:
    name = "prod-" + host.role if host.account == PROD_ACCOUNT else "shared-" + host.role
    if host.role == IDLE:
        name = "prod-standby"
    return {"GroupName": name, "GroupId": "sg-" + _hex(host.account, "sg", name)}


def _association(host: Host) -> dict[str, str]:
    dns = _public_dns(host.public_address)
    if host.role == ALB:
        return {"IpOwnerId": _ELB_REQUESTER, "PublicDnsName": dns, "PublicIp": host.public_address}
    if host.role == NAT:
        return {
            "AllocationId": "eipalloc-" + _hex(host.account, "eip", host.name),
            "AssociationId": "eipassoc-" + _hex(host.account, "eipassoc", host.name),
            "IpOwnerId": host.account,
            "PublicDnsName": dns,
            "PublicIp": host.public_address,
        }
    return {"IpOwnerId": "amazon", "PublicDnsName": dns, "PublicIp": host.public_address}


def _interface(host: Host, *, for_instance: bool) -> dict[str, Any]:
    """A network interface as describe-network-interfaces (or, `for_instance`, describe-instances) shows it."""
    secondary = host.role == IDLE
    attachment: dict[str, Any] = {
        "AttachTime": _LAUNCHED,
        "AttachmentId": "eni-attach-" + _hex(host.eni, "attach"),
        "DeleteOnTermination": not secondary and host.role not in (ALB, NAT),
        "DeviceIndex": 1 if secondary or host.role in (ALB, NAT) else 0,
        "NetworkCardIndex": 0,
    }
    if host.role == ALB:
        attachment |= {"InstanceOwnerId": _ELB_REQUESTER, "Status": "attached"}
        description = f"ELB app/prod-web/{_ALB_ID}"
    elif host.role == NAT:
        attachment = {
            "AttachmentId": "ela-attach-" + _hex(host.eni, "attach", length=8),
            "DeleteOnTermination": False,
            "DeviceIndex": 1,
            "InstanceOwnerId": "amazon-aws",
            "Status": "attached",
        }
        description = f"Interface for NAT Gateway nat-{_hex(host.account, 'nat', host.name)}"
    else:
        if not for_instance:
            attachment |= {"InstanceId": host.instance, "InstanceOwnerId": host.account}
        attachment["Status"] = "attached"
        description = "standby interface" if secondary else ""
    private: dict[str, Any] = {
        "Primary": True,
        "PrivateDnsName": _private_dns(host.address),
        "PrivateIpAddress": host.address,
    }
    entry: dict[str, Any] = {}
    if host.public_address:
        entry["Association"] = _association(host)
        private = {"Association": _association(host), **private}
    entry |= {
        "Attachment": attachment,
        "AvailabilityZone": host.az,
        "Description": description,
        "Groups": [] if host.role == NAT else [_group(host)],
        "InterfaceType": "nat_gateway" if host.role == NAT else "interface",
        "Ipv6Addresses": [],
        "MacAddress": "0e:" + ":".join(_hex(host.eni, "mac", length=10)[i : i + 2] for i in range(0, 10, 2)),
        "NetworkInterfaceId": host.eni,
        "OwnerId": host.account,
        "PrivateDnsName": _private_dns(host.address),
        "PrivateIpAddress": host.address,
        "PrivateIpAddresses": [private],
    }
    if not for_instance:
        entry["RequesterId"] = {ALB: _ELB_REQUESTER, NAT: _NAT_REQUESTER}.get(host.role)
        entry["RequesterManaged"] = host.role in (ALB, NAT)
        if entry["RequesterId"] is None:
            del entry["RequesterId"]
    entry |= {"SourceDestCheck": host.role != NAT, "Status": "in-use", "SubnetId": host.subnet}
    if not for_instance:
        # Primary interfaces are rarely tagged (the instance is); the standby ones are, and managed ones never.
        entry["TagSet"] = _tags(host.name) if secondary else []
    entry["VpcId"] = host.vpc
    return entry


def _instance(host: Host, interfaces: list[Host]) -> dict[str, Any]:
    arm = _INSTANCE_TYPES[host.role].split(".")[0].endswith("g")
    instance: dict[str, Any] = {
        "AmiLaunchIndex": 0,
        "ImageId": "ami-" + _hex("ami", "arm64" if arm else "x86_64"),
        "InstanceId": host.instance,
        "InstanceType": _INSTANCE_TYPES[host.role],
        "KeyName": "ops",
        "LaunchTime": _LAUNCHED,
        "Monitoring": {"State": "disabled"},
        "Placement": {"AvailabilityZone": host.az, "GroupName": "", "Tenancy": "default"},
        "PrivateDnsName": _private_dns(host.address),
        "PrivateIpAddress": host.address,
        "ProductCodes": [],
        "PublicDnsName": _public_dns(host.public_address) if host.public_address else "",
    }
    if host.public_address:
        instance["PublicIpAddress"] = host.public_address
    instance |= {
        "State": {"Code": 16, "Name": "running"},
        "StateTransitionReason": "",
        "SubnetId": host.subnet,
        "VpcId": host.vpc,
        "Architecture": "arm64" if arm else "x86_64",
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "AttachTime": _LAUNCHED,
                    "DeleteOnTermination": True,
                    "Status": "attached",
                    "VolumeId": "vol-" + _hex(host.instance, "root"),
                },
            }
        ],
        "ClientToken": "",
        "EbsOptimized": True,
        "EnaSupport": True,
        "Hypervisor": "xen",
        "NetworkInterfaces": [_interface(i, for_instance=True) for i in interfaces],
        "RootDeviceName": "/dev/xvda",
        "RootDeviceType": "ebs",
        "SecurityGroups": [_group(host)],
        "SourceDestCheck": True,
        "Tags": _tags(
            host.name, Role=host.role, Environment="prod" if host.account == PROD_ACCOUNT else "shared"
        ),
        "VirtualizationType": "hvm",
        "CpuOptions": {"CoreCount": 2, "ThreadsPerCore": 2},
        "MetadataOptions": {
            "State": "applied",
            "HttpTokens": "required",
            "HttpPutResponseHopLimit": 2,
            "HttpEndpoint": "enabled",
        },
        "PlatformDetails": "Linux/UNIX",
    }
    return instance


def _describe_write(truth: Truth, root: Path) -> list[Path]:
    written: list[Path] = []
    for account in truth.accounts:
        hosts = [host for host in truth.hosts if host.account == account]
        secondary: dict[str, list[Host]] = {}
        for host in hosts:
            if host.role == IDLE:
                secondary.setdefault(host.instance, []).append(host)
        vpcs = [
            {
                "CidrBlock": vpc.cidr,
                "DhcpOptionsId": "dopt-" + _hex(account, "dopt"),
                "State": "available",
                "VpcId": vpc.id,
                "OwnerId": account,
                "InstanceTenancy": "default",
                "CidrBlockAssociationSet": [
                    {
                        "AssociationId": "vpc-cidr-assoc-" + _hex(vpc.id, "cidr"),
                        "CidrBlock": vpc.cidr,
                        "CidrBlockState": {"State": "associated"},
                    }
                ],
                "IsDefault": False,
                "Tags": _tags(vpc.name),
            }
            for vpc in truth.vpcs
            if vpc.account == account
        ]
        subnets = [
            {
                "AvailabilityZone": subnet.az,
                "AvailabilityZoneId": subnet.az_id,
                "AvailableIpAddressCount": 251 - sum(1 for h in hosts if h.subnet == subnet.id),
                "CidrBlock": subnet.cidr,
                "DefaultForAz": False,
                "MapPublicIpOnLaunch": subnet.public,
                "State": "available",
                "SubnetId": subnet.id,
                "VpcId": subnet.vpc,
                "OwnerId": account,
                "AssignIpv6AddressOnCreation": False,
                "Ipv6CidrBlockAssociationSet": [],
                "Tags": _tags(subnet.name, Tier=subnet.tier),
                "SubnetArn": f"arn:aws:ec2:{truth.region}:{account}:subnet/{subnet.id}",
                "EnableDns64": False,
                "Ipv6Native": False,
                "PrivateDnsNameOptionsOnLaunch": {
                    "HostnameType": "ip-name",
                    "EnableResourceNameDnsARecord": False,
                    "EnableResourceNameDnsAAAARecord": False,
                },
            }
            for subnet in truth.subnets
            if subnet.account == account
        ]
        interfaces = [_interface(host, for_instance=False) for host in sorted(hosts, key=lambda h: h.eni)]
        reservations = [
            {
                "Groups": [],
                "Instances": [_instance(host, [host, *secondary.get(host.instance, [])])],
                "OwnerId": account,
                "ReservationId": "r-" + _hex(host.instance, "reservation"),
            }
            for host in sorted(hosts, key=lambda h: h.instance)
            if host.role in INSTANCE_ROLES
        ]
        documents = {
            "describe-vpcs": {"Vpcs": vpcs},
            "describe-subnets": {"Subnets": subnets},
            "describe-network-interfaces": {"NetworkInterfaces": interfaces},
            "describe-instances": {"Reservations": reservations},
        }
        folder = root / account / truth.region
        folder.mkdir(parents=True, exist_ok=True)
        for name, document in documents.items():
            path = folder / f"{name}.json"
            path.write_text(json.dumps(document, indent=4) + "\n", encoding="utf-8")  # the CLI's indent
            written.append(path)
    return written
