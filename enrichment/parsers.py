"""AWS JSON documents → unsaved entry rows. A document is what the AWS CLI prints for `aws ec2
describe-network-interfaces`, `describe-instances`, `describe-subnets` or `describe-vpcs` (boto3's
paginated results turned into the same dicts by `enrichment.aws`), or AWS's published ip-ranges.json.

The kind is recognised by the top-level keys, never by the file name. Every problem raises
DocumentInvalid naming the entry (`Subnets[3]`), so an operator can find it in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from enrichment.cidrs import address_canonical, cidr_parse
from enrichment.errors import DocumentInvalid
from enrichment.models import AwsIpRange, ImportedEntry, Instance, Kind, NetworkInterface, Subnet, Vpc

KIND_KEYS = {
    "NetworkInterfaces": Kind.NETWORK_INTERFACES,
    "Reservations": Kind.INSTANCES,
    "Subnets": Kind.SUBNETS,
    "Vpcs": Kind.VPCS,
    "prefixes": Kind.IP_RANGES,
    "ipv6_prefixes": Kind.IP_RANGES,
}
KNOWN = (
    "the output of aws ec2 describe-network-interfaces, describe-instances, describe-subnets or "
    "describe-vpcs (top-level key NetworkInterfaces, Reservations, Subnets or Vpcs), or AWS's "
    "ip-ranges.json (prefixes, ipv6_prefixes)"
)
# A region name (us-east-1, us-gov-west-1); at the start of a zone name (us-east-1a, us-west-2-lax-1a, a
# Local Zone) it is the region that owns the zone.
REGION_PATTERN = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")
_GONE_STATES = frozenset({"disassociating", "disassociated", "failing", "failed"})


@dataclass
class ParsedDocument:
    kind: Kind
    entries: list[ImportedEntry] = field(default_factory=list)
    accounts: set[str] = field(default_factory=set)  # "" when an entry names no owner
    regions: set[str] = field(default_factory=set)  # "" when an entry's region is unknown

    @property
    def model(self) -> type[ImportedEntry]:
        return MODELS[self.kind]


MODELS: dict[str, type[ImportedEntry]] = {
    Kind.NETWORK_INTERFACES: NetworkInterface,
    Kind.INSTANCES: Instance,
    Kind.SUBNETS: Subnet,
    Kind.VPCS: Vpc,
    Kind.IP_RANGES: AwsIpRange,
}


class _Node:
    """A JSON object of the document, with the path that names it in errors."""

    def __init__(self, data: dict[str, Any], path: str, where: str) -> None:
        self.data, self.path, self.where = data, path, where

    def fail(self, reason: str) -> DocumentInvalid:
        return DocumentInvalid(self.where, f"{self.path}: {reason}" if self.path else reason)

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(f"no {key}")
            return ""
        if not isinstance(value, str):
            raise self.fail(f"{key} is {_json_type(value)}, not a string")
        return value

    def child(self, key: str) -> _Node | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(f"{key} is {_json_type(value)}, not an object")
        return _Node(value, f"{self.path}.{key}" if self.path else key, self.where)

    def children(self, key: str) -> list[_Node]:
        value = self.data.get(key)
        if value is None:
            return []
        path = f"{self.path}.{key}" if self.path else key
        if not isinstance(value, list):
            raise self.fail(f"{key} is {_json_type(value)}, not a list")
        nodes = []
        for position, item in enumerate(value):
            if not isinstance(item, dict):
                raise DocumentInvalid(self.where, f"{path}[{position}] is {_json_type(item)}, not an object")
            nodes.append(_Node(item, f"{path}[{position}]", self.where))
        return nodes

    def name_tag(self) -> str:
        # describe-network-interfaces calls the list TagSet; the others call it Tags.
        for tag in self.children("TagSet") + self.children("Tags"):
            if tag.data.get("Key") == "Name":
                return tag.text("Value")
        return ""

    def addresses(self) -> list[str]:
        """Private IPv4 and IPv6 addresses of an ENI (or of an instance's interface), canonical, once."""
        found = [self.text("PrivateIpAddress"), self.text("Ipv6Address")]
        found += [item.text("PrivateIpAddress") for item in self.children("PrivateIpAddresses")]
        found += [item.text("Ipv6Address") for item in self.children("Ipv6Addresses")]
        try:
            return list(dict.fromkeys(address_canonical(text) for text in found if text))
        except ValueError as error:
            raise self.fail(str(error)) from error

    def cidrs(self, *associations: tuple[str, str, str]) -> list[str]:
        """CidrBlock plus the blocks of the association sets that are still associated."""
        found = [self.text("CidrBlock")]
        for set_key, block_key, state_key in associations:
            for item in self.children(set_key):
                state = item.child(state_key)
                if state is None or state.text("State") not in _GONE_STATES:
                    found.append(item.text(block_key))
        try:
            return list(dict.fromkeys(str(cidr_parse(text)) for text in found if text))
        except ValueError as error:
            raise self.fail(str(error)) from error


def document_kind(document: object, where: str) -> Kind:
    if not isinstance(document, dict):
        raise DocumentInvalid(where, f"the top level is {_json_type(document)}; expected {KNOWN}")
    kinds = {KIND_KEYS[key] for key in document if key in KIND_KEYS}
    if not kinds:
        raise DocumentInvalid(where, f"not a file grapherd knows: expected {KNOWN}")
    if len(kinds) > 1:
        labels = ", ".join(sorted(Kind(kind).label for kind in kinds))
        raise DocumentInvalid(where, f"holds several kinds ({labels}); import one kind per file")
    return kinds.pop()


def document_parse(document: object, where: str, *, region: str = "") -> ParsedDocument:
    """The document's entries as unsaved rows. `region` stands in for entries that name none (VPCs)."""
    kind = document_kind(document, where)
    assert isinstance(document, dict)  # document_kind refused anything else
    root = _Node(document, "", where)
    parsed = ParsedDocument(kind)
    if kind == Kind.IP_RANGES:
        parsed.entries = [
            *_ip_ranges(root, "prefixes", "ip_prefix"),
            *_ip_ranges(root, "ipv6_prefixes", "ipv6_prefix"),
        ]
        return parsed
    if kind == Kind.NETWORK_INTERFACES:
        parsed.entries = [_network_interface(node, region) for node in root.children("NetworkInterfaces")]
    elif kind == Kind.INSTANCES:
        parsed.entries = [
            _instance(node, reservation.text("OwnerId"), region)
            for reservation in root.children("Reservations")
            for node in reservation.children("Instances")
        ]
    elif kind == Kind.SUBNETS:
        parsed.entries = [_subnet(node, region) for node in root.children("Subnets")]
    else:
        parsed.entries = [_vpc(node, region) for node in root.children("Vpcs")]
    parsed.accounts = {getattr(entry, "account", "") for entry in parsed.entries}
    parsed.regions = {getattr(entry, "region", "") for entry in parsed.entries}
    return parsed


def zone_region(zone: str) -> str:
    match = REGION_PATTERN.match(zone)
    return match.group(0) if match else ""


def _network_interface(node: _Node, region: str) -> NetworkInterface:
    attachment = node.child("Attachment")
    return NetworkInterface(
        eni_id=node.text("NetworkInterfaceId", required=True),
        account=node.text("OwnerId"),
        region=zone_region(node.text("AvailabilityZone")) or region,
        subnet_id=node.text("SubnetId"),
        vpc_id=node.text("VpcId"),
        instance_id=attachment.text("InstanceId") if attachment else "",
        interface_type=node.text("InterfaceType"),
        name=node.name_tag(),
        description=node.text("Description"),
        addresses=" ".join(node.addresses()),
    )


def _instance(node: _Node, account: str, region: str) -> Instance:
    interfaces = [
        {
            "eni": interface.text("NetworkInterfaceId"),
            "subnet": interface.text("SubnetId"),
            "vpc": interface.text("VpcId"),
            "addresses": interface.addresses(),
        }
        for interface in node.children("NetworkInterfaces")
    ]
    if not interfaces and node.text("PrivateIpAddress"):  # trimmed output (--query) without interfaces
        interfaces = [
            {
                "eni": "",
                "subnet": node.text("SubnetId"),
                "vpc": node.text("VpcId"),
                "addresses": node.addresses(),
            }
        ]
    placement = node.child("Placement")
    return Instance(
        instance_id=node.text("InstanceId", required=True),
        account=account,
        region=zone_region(placement.text("AvailabilityZone") if placement else "") or region,
        name=node.name_tag(),
        vpc_id=node.text("VpcId"),
        subnet_id=node.text("SubnetId"),
        interfaces=interfaces,
        addresses=" ".join(address for interface in interfaces for address in interface["addresses"]),
    )


def _subnet(node: _Node, region: str) -> Subnet:
    return Subnet(
        subnet_id=node.text("SubnetId", required=True),
        account=node.text("OwnerId"),
        region=zone_region(node.text("AvailabilityZone")) or region,
        vpc_id=node.text("VpcId"),
        name=node.name_tag(),
        cidrs=" ".join(node.cidrs(("Ipv6CidrBlockAssociationSet", "Ipv6CidrBlock", "Ipv6CidrBlockState"))),
    )


def _vpc(node: _Node, region: str) -> Vpc:
    return Vpc(
        vpc_id=node.text("VpcId", required=True),
        account=node.text("OwnerId"),
        region=region,  # describe-vpcs names no zone or region
        name=node.name_tag(),
        cidrs=" ".join(
            node.cidrs(
                ("CidrBlockAssociationSet", "CidrBlock", "CidrBlockState"),
                ("Ipv6CidrBlockAssociationSet", "Ipv6CidrBlock", "Ipv6CidrBlockState"),
            )
        ),
    )


def _ip_ranges(root: _Node, key: str, prefix_key: str) -> list[AwsIpRange]:
    ranges = []
    for node in root.children(key):
        try:
            prefix = str(cidr_parse(node.text(prefix_key, required=True)))
        except ValueError as error:
            raise node.fail(str(error)) from error
        ranges.append(
            AwsIpRange(
                prefix=prefix,
                region=node.text("region"),
                service=node.text("service", required=True),
                network_border_group=node.text("network_border_group"),
            )
        )
    return ranges


def _json_type(value: object) -> str:
    """'an object', 'a list', …: what a JSON value is, for messages."""
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)
