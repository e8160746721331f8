"""The in-memory answer behind `addresses_describe`, built from plain rows (no database access here).

Per IP version it holds an exact dict (address value → AddressInfo) for the addresses of ENIs and
instances, and one interval list (see `enrichment.cidrs`) that overlays the subnet, VPC, network-group
and ip-ranges.json blocks, with the AddressInfo of every interval computed at build time. A lookup is
then one dict probe and at most one bisect, whatever the number of prefixes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from enrichment.cidrs import PrefixIndex, address_value, block_bounds, indexes_overlay
from enrichment.lookup import AddressInfo

AMAZON = "AMAZON"  # ip-ranges.json's superset of every service: used only where no specific service matches


# Rows as the selectors load them; field names are the model fields' (values_list(*Row._fields)).
class EniRow(NamedTuple):
    eni_id: str
    account: str
    subnet_id: str
    vpc_id: str
    instance_id: str
    name: str
    description: str
    addresses: str  # space separated


class InstanceRow(NamedTuple):
    instance_id: str
    account: str
    name: str
    interfaces: list[dict[str, Any]]  # [{"eni", "subnet", "vpc", "addresses": [...]}]


class SubnetRow(NamedTuple):
    subnet_id: str
    account: str
    vpc_id: str
    name: str
    cidrs: str  # space separated


class VpcRow(NamedTuple):
    vpc_id: str
    account: str
    name: str
    cidrs: str


class IpRangeRow(NamedTuple):
    prefix: str
    region: str
    service: str


class GroupRow(NamedTuple):
    name: str
    cidrs: list[str]


Row = TypeVar("Row", SubnetRow, VpcRow)


@dataclass
class EnrichmentRows:
    """AWS rows oldest import first (a later row with the same id replaces an earlier one); groups by name."""

    enis: list[EniRow] = field(default_factory=list)
    instances: list[InstanceRow] = field(default_factory=list)
    subnets: list[SubnetRow] = field(default_factory=list)
    vpcs: list[VpcRow] = field(default_factory=list)
    ip_ranges: list[IpRangeRow] = field(default_factory=list)
    groups: list[GroupRow] = field(default_factory=list)


class _Labels(NamedTuple):
    """What each CIDR index says about one interval of the address space."""

    subnet: tuple[str, str] | None  # (subnet id, the block that matched)
    vpc: str | None
    group: str | None
    service: str | None  # "AWS S3 us-east-1"
    amazon: str | None  # "AWS AMAZON us-east-1"


class _VersionIndex:
    """Everything for one IP version."""

    def __init__(self) -> None:
        self.exact: dict[int, AddressInfo] = {}
        self.starts: list[int] = []
        self.labels: list[_Labels] = []
        self.infos: list[AddressInfo | None] = []

    def labels_at(self, value: int) -> _Labels | None:
        position = bisect_right(self.starts, value) - 1
        return self.labels[position] if position >= 0 else None


class AddressIndex:
    def __init__(self, rows: EnrichmentRows) -> None:
        self._subnets = _latest_by_id(rows.subnets)
        self._vpcs = _latest_by_id(rows.vpcs)
        self._by_version = {4: _VersionIndex(), 6: _VersionIndex()}
        infos: dict[_Labels, AddressInfo | None] = {}  # one AddressInfo per distinct combination
        for version, blocks in self._cidr_blocks(rows).items():
            index = self._by_version[version]
            index.starts, overlaid = indexes_overlay([PrefixIndex.build(labelled) for labelled in blocks])
            index.labels = [_Labels(*labels) for labels in overlaid]
            for labels in index.labels:
                if labels not in infos:
                    infos[labels] = self._info(labels)
            index.infos = [infos[labels] for labels in index.labels]
        self._add_interfaces(rows)

    def describe(self, addresses: Iterable[str]) -> dict[str, AddressInfo]:
        found: dict[str, AddressInfo] = {}
        v4, v6 = self._by_version[4], self._by_version[6]
        for text in addresses:
            if text in found:
                continue
            parsed = address_value(text)
            if parsed is None:
                continue
            index = v4 if parsed[0] == 4 else v6
            info = index.exact.get(parsed[1])
            if info is None:
                position = bisect_right(index.starts, parsed[1]) - 1
                info = index.infos[position] if position >= 0 else None
            if info is not None:
                found[text] = info
        return found

    # --- building ----------------------------------------------------------------------------------

    def _cidr_blocks(self, rows: EnrichmentRows) -> dict[int, list[list[tuple[int, int, Any]]]]:
        """Per IP version, the labelled blocks of each CIDR index in `_Labels` order: subnets, VPCs,
        groups, specific services, AMAZON. The first label given for a block wins, so the newest subnet
        or VPC claims a block that several accounts reuse."""
        blocks: dict[int, list[list[tuple[int, int, Any]]]] = {
            4: [[] for _ in _Labels._fields],
            6: [[] for _ in _Labels._fields],
        }

        def add(position: int, cidr: str, label: object) -> None:
            bounds = block_bounds(cidr)
            if bounds is not None:  # stored blocks were validated on import; a bad one is only skipped
                blocks[bounds[0]][position].append((bounds[1], bounds[2], label))

        for subnet in reversed(self._subnets.values()):
            for cidr in subnet.cidrs.split():
                add(0, cidr, (subnet.subnet_id, cidr))
        for vpc in reversed(self._vpcs.values()):
            for cidr in vpc.cidrs.split():
                add(1, cidr, vpc.vpc_id)
        for group in rows.groups:
            for cidr in group.cidrs:
                add(2, cidr, group.name)
        # Sorted so a prefix listed for two specific services always gets the same (first) one.
        for ip_range in sorted(rows.ip_ranges, key=lambda row: (row.service, row.region)):
            service = f"AWS {ip_range.service} {ip_range.region}"
            add(4 if ip_range.service == AMAZON else 3, ip_range.prefix, service)
        return blocks

    def _info(self, labels: _Labels) -> AddressInfo | None:
        if labels == (None, None, None, None, None):
            return None
        subnet_id = subnet_cidr = vpc_id = account = ""
        if labels.subnet is not None:
            subnet_id, subnet_cidr = labels.subnet
            subnet = self._subnets[subnet_id]
            vpc_id, account = subnet.vpc_id, subnet.account
        elif labels.vpc is not None:
            vpc_id, account = labels.vpc, self._vpcs[labels.vpc].account
        return AddressInfo(
            subnet=subnet_id,
            subnet_name=self._subnets[subnet_id].name if subnet_id else "",
            subnet_cidr=subnet_cidr,
            vpc=vpc_id,
            vpc_name=self._vpc_name(vpc_id),
            account=account,
            group=labels.group or "",
            aws_service=labels.service or labels.amazon or "",
        )

    def _add_interfaces(self, rows: EnrichmentRows) -> None:
        """ENI addresses, over the addresses describe-instances lists for interfaces it knows less about."""
        instance_names = {row.instance_id: row.name for row in rows.instances}
        for instance in rows.instances:
            for interface in instance.interfaces:
                for address in interface.get("addresses", []):
                    self._add_exact(
                        address,
                        eni=interface.get("eni", ""),
                        instance=instance.instance_id,
                        name=instance.name,
                        subnet=interface.get("subnet", ""),
                        vpc=interface.get("vpc", ""),
                        account=instance.account,
                    )
        for eni in rows.enis:
            name = instance_names.get(eni.instance_id, "") or eni.name or eni.description
            for address in eni.addresses.split():
                self._add_exact(
                    address,
                    eni=eni.eni_id,
                    instance=eni.instance_id,
                    name=name,
                    subnet=eni.subnet_id,
                    vpc=eni.vpc_id,
                    account=eni.account,
                )

    def _add_exact(
        self, address: str, *, eni: str, instance: str, name: str, subnet: str, vpc: str, account: str
    ) -> None:
        parsed = address_value(address)
        if parsed is None:
            return
        version, value = parsed
        index = self._by_version[version]
        labels = index.labels_at(value)
        subnet_row = self._subnets.get(subnet)
        index.exact[value] = AddressInfo(
            eni=eni,
            name=name,
            instance=instance,
            subnet=subnet,
            subnet_name=subnet_row.name if subnet_row else "",
            subnet_cidr=_holding(subnet_row.cidrs.split(), value, version) if subnet_row else "",
            vpc=vpc,
            vpc_name=self._vpc_name(vpc),
            account=account,
            group=(labels.group or "") if labels else "",
            aws_service=(labels.service or labels.amazon or "") if labels else "",
        )

    def _vpc_name(self, vpc_id: str) -> str:
        vpc = self._vpcs.get(vpc_id)
        return vpc.name if vpc else ""


def _latest_by_id(rows: Iterable[Row]) -> dict[str, Row]:
    """Rows by id (the first field), the newest row of an id winning, and ordered oldest to newest by
    that newest row, so that reversing gives the newest first."""
    latest: dict[str, Row] = {}
    for row in rows:
        latest.pop(row[0], None)
        latest[row[0]] = row
    return latest


def _holding(cidrs: list[str], value: int, version: int) -> str:
    """The block of `cidrs` that holds the address, "" if none does."""
    for cidr in cidrs:
        bounds = block_bounds(cidr)
        if bounds is not None and bounds[0] == version and bounds[1] <= value <= bounds[2]:
            return cidr
    return ""
