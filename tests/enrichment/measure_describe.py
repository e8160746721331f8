"""One-off measurement of `addresses_describe` at the size the connection views ask for (not a test).

    .venv/bin/python -m tests.enrichment.measure_describe

Builds a throwaway SQLite database in a temporary folder (DATABASE_URL is ignored, so no real database
is touched), imports a synthetic 10,000-prefix ip-ranges.json, 2,000 ENIs in 40 subnets and 50 network
groups through the import services, then times `addresses_describe` on 50,000 distinct addresses: the
first call (builds the indexes) and later calls (indexes cached; the version query included).
"""

from __future__ import annotations

import ipaddress
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ACCOUNT, REGION = "111122223333", "us-east-1"
SERVICES = ("EC2", "S3", "CLOUDFRONT", "ROUTE53_HEALTHCHECKS", "DYNAMODB", "API_GATEWAY")


def ip_ranges(chooser: random.Random, count: int) -> dict[str, Any]:
    """`count` prefixes: half AMAZON, half the same blocks under a specific service, as AWS lists them."""
    prefixes: list[dict[str, str]] = []
    while len(prefixes) < count:
        first = chooser.choice((3, 13, 15, 18, 34, 35, 44, 52, 54, 99))
        address = f"{first}.{chooser.randrange(256)}.{chooser.randrange(256)}.{chooser.randrange(256)}"
        block = str(ipaddress.ip_network(f"{address}/{chooser.randrange(12, 29)}", strict=False))
        region = chooser.choice(("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"))
        for service in ("AMAZON", chooser.choice(SERVICES)):
            prefixes.append(
                {"ip_prefix": block, "region": region, "service": service, "network_border_group": region}
            )
    return {
        "syncToken": "1",
        "createDate": "2024-06-20-16-23-16",
        "prefixes": prefixes[:count],
        "ipv6_prefixes": [],
    }


def network_interfaces(count: int) -> dict[str, Any]:
    enis = []
    for number in range(count):
        subnet, host = divmod(number, 50)
        addresses = [f"10.40.{subnet}.{10 + host}", f"10.40.{subnet}.{100 + host}"]
        enis.append(
            {
                "AvailabilityZone": "us-east-1a",
                "Description": f"interface {number}",
                "NetworkInterfaceId": f"eni-{number:017x}",
                "OwnerId": ACCOUNT,
                "PrivateIpAddress": addresses[0],
                "PrivateIpAddresses": [
                    {"Primary": index == 0, "PrivateIpAddress": a} for index, a in enumerate(addresses)
                ],
                "SubnetId": f"subnet-{subnet:017x}",
                "TagSet": [{"Key": "Name", "Value": f"host-{number}"}],
                "VpcId": "vpc-00000000000000001",
            }
        )
    return {"NetworkInterfaces": enis}


def subnets(count: int) -> dict[str, Any]:
    return {
        "Subnets": [
            {
                "AvailabilityZone": "us-east-1a",
                "CidrBlock": f"10.40.{number}.0/24",
                "OwnerId": ACCOUNT,
                "SubnetId": f"subnet-{number:017x}",
                "Tags": [{"Key": "Name", "Value": f"subnet-{number}"}],
                "VpcId": "vpc-00000000000000001",
            }
            for number in range(count)
        ]
    }


def octets(chooser: random.Random, count: int) -> str:
    return ".".join(str(chooser.randrange(256)) for _ in range(count))


def addresses(chooser: random.Random, count: int) -> list[str]:
    """ENI addresses, other addresses of the subnets, public AWS and non-AWS addresses, and some junk."""
    found = {f"10.40.{subnet}.{10 + host}" for subnet in range(40) for host in range(50)}
    found |= {f"10.40.{subnet}.{100 + host}" for subnet in range(40) for host in range(50)}
    found |= {"-", "not-an-address"}
    while len(found) < count:
        kind = chooser.random()
        if kind < 0.2:
            found.add(f"10.40.{chooser.randrange(40)}.{chooser.randrange(256)}")
        elif kind < 0.6:
            found.add(f"{chooser.choice((3, 13, 18, 52, 54))}.{octets(chooser, 3)}")
        elif kind < 0.9:
            found.add(f"{chooser.randrange(1, 224)}.{octets(chooser, 3)}")
        else:
            found.add(str(ipaddress.IPv6Address(chooser.getrandbits(128))))
    return sorted(found)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="grapherd-measure-"))
    os.environ.pop("DATABASE_URL", None)
    os.environ["GRAPHERD_DATA_DIR"] = str(folder)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grapherd_site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from enrichment.models import NetworkGroup
    from enrichment.selectors import addresses_describe
    from enrichment.services import enrichment_document_store

    call_command("migrate", verbosity=0)
    chooser = random.Random(2024)
    for name, document in (
        ("ip-ranges.json", ip_ranges(chooser, 10_000)),
        ("enis.json", network_interfaces(2_000)),
        ("subnets.json", subnets(40)),
    ):
        started = time.perf_counter()
        summary = enrichment_document_store(document, source=name, where=name)
        print(f"import {summary} in {time.perf_counter() - started:.2f} s")
    NetworkGroup.objects.bulk_create(
        NetworkGroup(name=f"group-{number}", cidrs=[f"10.{number}.0.0/16", f"198.51.{number}.0/24"])
        for number in range(50)
    )
    wanted = addresses(chooser, 50_000)

    started = time.perf_counter()
    found = addresses_describe(wanted)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(7):
        started = time.perf_counter()
        addresses_describe(wanted)
        warm.append(time.perf_counter() - started)
    print(f"{len(wanted):,} addresses, {len(found):,} described")
    print(f"first call (builds the indexes): {cold * 1000:.0f} ms")
    median, best = statistics.median(warm) * 1000, min(warm) * 1000
    print(f"later calls (cached indexes, version query included): median {median:.0f} ms, best {best:.0f} ms")
    print(f"(Python {sys.version.split()[0]}, throwaway database in {folder})")


if __name__ == "__main__":
    main()
