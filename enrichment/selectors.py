"""Reading enrichment data: `addresses_describe` for the connection views, and `enrichment_version`.

The lookup indexes (`enrichment.indexes.AddressIndex`) are built once per enrichment version and kept in
this process; every call reads the version first (two small aggregate queries) and rebuilds when it has
changed, so an import or a group edit made by another process is seen on the next call. The version is
read before the rows, so data changing during a build at worst causes one more rebuild, never a stale
index.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from django.db.models import Count, Max

from enrichment.indexes import (
    AddressIndex,
    EniRow,
    EnrichmentRows,
    GroupRow,
    InstanceRow,
    IpRangeRow,
    SubnetRow,
    VpcRow,
)
from enrichment.lookup import AddressInfo
from enrichment.models import (
    AwsIpRange,
    EnrichmentImport,
    Instance,
    NetworkGroup,
    NetworkInterface,
    Subnet,
    Vpc,
)

# Oldest import first: AddressIndex lets a later row with the same id replace an earlier one.
_IMPORT_ORDER = ("enrichment_import__imported_at", "enrichment_import_id", "id")


class _Cache:
    """The index with its version, swapped as one tuple so a reader never pairs an index with another
    version; the lock keeps concurrent requests (threads) from building the same index twice."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: tuple[str, AddressIndex] | None = None


_cache = _Cache()


def addresses_describe(addresses: Iterable[str]) -> dict[str, AddressInfo]:
    """What is known about each address, keyed by the address as given; addresses that cannot be
    parsed, and those nothing is known about, are absent.

    An ENI's private address (describe-network-interfaces, else an interface listed by
    describe-instances) gives the ENI, instance, name (instance's Name tag, else the ENI's, else its
    description), subnet, VPC and account. Any other address takes the subnet whose CIDR holds it (else
    the VPC's). Every address also gets the network group with the longest matching CIDR, and
    `aws_service` from ip-ranges.json: the longest specific-service prefix holding it, else the longest
    AMAZON one. Where private address ranges overlap across VPCs, the most recent import wins.
    """
    return address_index().describe(addresses)


def enrichment_version() -> str:
    """Changes whenever an import is stored or forgotten, or a network group is created, changed or
    deleted (the counts and highest ids catch deletions the latest times do not)."""
    imports = EnrichmentImport.objects.aggregate(latest=Max("imported_at"), last=Max("id"), count=Count("id"))
    groups = NetworkGroup.objects.aggregate(latest=Max("updated_at"), last=Max("id"), count=Count("id"))
    return "imports {} #{} ({}); groups {} #{} ({})".format(
        imports["latest"].isoformat() if imports["latest"] else "-",
        imports["last"],
        imports["count"],
        groups["latest"].isoformat() if groups["latest"] else "-",
        groups["last"],
        groups["count"],
    )


def address_index() -> AddressIndex:
    version = enrichment_version()
    current = _cache.current
    if current is not None and current[0] == version:
        return current[1]
    with _cache.lock:
        current = _cache.current
        if current is None or current[0] != version:
            current = _cache.current = (version, AddressIndex(enrichment_rows()))
        return current[1]


def address_index_forget() -> None:
    """Drop the cached index (tests: a rolled-back transaction can bring an old version back)."""
    _cache.current = None


def enrichment_rows() -> EnrichmentRows:
    def rows(
        model: type[NetworkInterface | Instance | Subnet | Vpc | AwsIpRange], fields: tuple[str, ...]
    ) -> list[tuple]:
        return list(model._default_manager.order_by(*_IMPORT_ORDER).values_list(*fields))

    return EnrichmentRows(
        enis=[EniRow(*row) for row in rows(NetworkInterface, EniRow._fields)],
        instances=[InstanceRow(*row) for row in rows(Instance, InstanceRow._fields)],
        subnets=[SubnetRow(*row) for row in rows(Subnet, SubnetRow._fields)],
        vpcs=[VpcRow(*row) for row in rows(Vpc, VpcRow._fields)],
        ip_ranges=[IpRangeRow(*row) for row in rows(AwsIpRange, IpRangeRow._fields)],
        groups=[
            GroupRow(*row) for row in NetworkGroup.objects.order_by("name").values_list(*GroupRow._fields)
        ],
    )
