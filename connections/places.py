"""Where an address sits: its node at each grouping level (host, subnet, VPC, account).

An address's chain of nodes, finest first:
- a VPC host: itself; its operator network group (enrichment.NetworkGroup), else its enrichment subnet,
  else its /24 (IPv4) or /64 (IPv6); its VPC (enrichment), else its account; its account (enrichment,
  else the account of the ENI that owns it in the flow logs, see digests.connections);
- a public address: itself at host level; above it, one `internet` node, or the AWS service whose
  published range holds it ("AWS S3 us-east-1", once ip-ranges.json is imported).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from enrichment.lookup import AddressInfo

LEVELS = ("host", "subnet", "vpc", "account")
INTERNET = "internet"


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: str  # host, subnet, vpc, account, internet, aws-service, group
    label: str
    name: str = ""  # the enrichment name (Name tag, group name), "" when none


@dataclass(frozen=True, slots=True)
class Place:
    address: str
    internet: bool  # outside the VPC: a public address no ENI of the flow logs owns
    chain: tuple[Node, Node, Node, Node]  # one node per level of LEVELS
    search: str  # lower-case text the `search` filter matches: address, names and ids


@dataclass(frozen=True, slots=True)
class Owner:
    """What the flow logs say of an address (digests.connections): the ENI that owns it ("" when none),
    the account that logged it, and the ENI's VPC, subnet and instance from rich records."""

    eni: str = ""
    account: str = ""
    vpc: str = ""
    subnet: str = ""
    instance: str = ""


def place_of(address: str, info: AddressInfo | None, owner: Owner) -> Place:
    """Enrichment (`info`) wins over what the flow logs say (`owner`)."""
    info = _with_logs(info or AddressInfo(), owner)
    parsed = _parse(address)
    public = parsed is not None and not _vpc_range(parsed) and not info.eni and not owner.eni
    host_kind = ("aws-service" if info.aws_service else INTERNET) if public else "host"
    host = Node(address, host_kind, info.name or address, info.name)
    if public:
        above = Node(f"aws:{info.aws_service}", "aws-service", info.aws_service) if info.aws_service else None
        outside = above or Node(INTERNET, INTERNET, "internet")
        return Place(address, True, (host, outside, outside, outside), _search(address, info))
    account_id = info.account or owner.account
    account = Node(f"account:{account_id or 'unknown'}", "account", f"account {account_id or 'unknown'}")
    vpc = Node(f"vpc:{info.vpc}", "vpc", info.vpc_name or info.vpc, info.vpc_name) if info.vpc else account
    return Place(address, False, (host, _subnet(parsed, info), vpc, account), _search(address, info))


def _with_logs(info: AddressInfo, owner: Owner) -> AddressInfo:
    """Enrichment's view, completed by the flow logs' own vpc-id, subnet-id and instance-id."""
    if not (owner.vpc or owner.subnet or owner.instance):
        return info
    return replace(
        info,
        vpc=info.vpc or owner.vpc,
        subnet=info.subnet or owner.subnet,
        instance=info.instance or owner.instance,
        name=info.name or owner.instance,
        eni=info.eni or owner.eni,
    )


def places_of(
    addresses: Iterable[str], infos: Mapping[str, AddressInfo], owners: Mapping[str, Owner]
) -> dict[str, Place]:
    """Every address's place; the group nodes many addresses share are one object each (a day of a large
    VPC has tens of thousands of addresses in a few hundred groups)."""
    shared: dict[Node, Node] = {}
    places = {}
    for address in addresses:
        place = place_of(address, infos.get(address), owners.get(address, Owner()))
        subnet, vpc, account = (shared.setdefault(node, node) for node in place.chain[1:])
        places[address] = Place(
            place.address, place.internet, (place.chain[0], subnet, vpc, account), place.search
        )
    return places


def _subnet(parsed: ipaddress.IPv4Address | ipaddress.IPv6Address | None, info: AddressInfo) -> Node:
    if info.group:
        return Node(f"group:{info.group}", "group", info.group, info.group)
    if info.subnet:
        described = f"{info.subnet} ({info.subnet_cidr})" if info.subnet_cidr else info.subnet
        return Node(f"subnet:{info.subnet}", "subnet", info.subnet_name or described, info.subnet_name)
    if parsed is None:
        return Node("subnet:unknown", "subnet", "addresses that are not IP addresses")
    prefix = 24 if parsed.version == 4 else 64
    network = ipaddress.ip_network(f"{parsed}/{prefix}", strict=False)
    return Node(f"subnet:{network}", "subnet", str(network))


# Addresses a VPC gives its interfaces (RFC 1918, the shared 100.64/10 some VPCs add, link-local, IPv6
# unique-local and link-local); everything else is the internet unless an ENI of the logs owns it (IPv6).
_VPC_RANGES = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
                 "127.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128")
)  # fmt: skip


def _vpc_range(parsed: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(parsed.version == network.version and parsed in network for network in _VPC_RANGES)


def _search(address: str, info: AddressInfo) -> str:
    parts = (
        address,
        info.name,
        info.eni,
        info.instance,
        info.subnet,
        info.subnet_name,
        info.vpc,
        info.vpc_name,
    )
    return " ".join(part.lower() for part in (*parts, info.group, info.aws_service) if part)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def address_in(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed.version == n.version and parsed in n for n in networks)
