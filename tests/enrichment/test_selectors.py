"""`addresses_describe` on the sample shop VPC: ENIs, subnets, VPCs, network groups and AWS services."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enrichment.lookup import AddressInfo
from enrichment.models import NetworkGroup
from enrichment.selectors import address_index, addresses_describe, enrichment_version
from tests.enrichment.conftest import ACCOUNT, DATA, run

pytestmark = pytest.mark.django_db

VPC = {"vpc": "vpc-0a1b2c3d4e5f60789", "vpc_name": "shop-prod", "account": ACCOUNT}
APP_SUBNET = {
    "subnet": "subnet-0a1b2c3d4e5f60722",
    "subnet_name": "shop-app-a",
    "subnet_cidr": "10.20.1.0/24",
}


def describe(address: str) -> AddressInfo | None:
    return addresses_describe([address]).get(address)


@pytest.mark.usefixtures("shop_imported")
def test_an_eni_address_names_the_instance_by_its_name_tag() -> None:
    assert describe("10.20.1.16") == AddressInfo(
        eni="eni-0a11c2d3e4f506171", name="web-1", instance="i-0a1b2c3d4e5f60001", **APP_SUBNET, **VPC
    )


@pytest.mark.usefixtures("shop_imported")
def test_the_instance_name_comes_before_the_enis_own_name_tag() -> None:
    info = describe("10.20.2.20")
    assert info is not None
    assert (info.name, info.subnet_name, info.subnet_cidr) == ("db-1", "shop-db-b", "10.20.2.0/24")


@pytest.mark.usefixtures("shop_imported")
def test_an_eni_without_instance_is_named_by_its_name_tag_else_its_description() -> None:
    assert describe("10.20.1.50") == AddressInfo(
        eni="eni-0d44e5f6a7b809204", name="spare-eni", **APP_SUBNET, **VPC
    )
    balancer = describe("10.20.0.10")
    assert balancer is not None
    assert (balancer.eni, balancer.name, balancer.instance) == (
        "eni-0b22c3d4e5f607182",
        "ELB app/shop-alb/50dc6c495c0c9188",
        "",
    )


@pytest.mark.usefixtures("shop_imported")
def test_an_ipv6_eni_address_is_found_with_its_ipv6_subnet_block_and_service() -> None:
    info = describe("2600:1f18:4a3:6f00:8d6e:3477:df66:f105")
    assert info is not None
    assert (info.eni, info.subnet_name, info.subnet_cidr, info.aws_service) == (
        "eni-0b22c3d4e5f607182",
        "shop-public-a",
        "2600:1f18:4a3:6f00::/64",
        "AWS EC2 us-east-1",
    )


@pytest.mark.usefixtures("shop_imported")
def test_an_interface_only_describe_instances_knows_is_found_too() -> None:
    assert describe("10.20.1.77") == AddressInfo(
        eni="eni-0e55f6a7b8c90a315", name="batch-1", instance="i-0a1b2c3d4e5f60003", **APP_SUBNET, **VPC
    )


@pytest.mark.usefixtures("shop_imported")
def test_an_address_of_no_eni_takes_the_subnet_holding_it_else_the_vpc() -> None:
    assert describe("10.20.1.200") == AddressInfo(**APP_SUBNET, **VPC)
    assert describe("10.20.9.9") == AddressInfo(**VPC)
    assert describe("10.99.3.4") == AddressInfo(
        vpc="vpc-0f9e8d7c6b5a40321", vpc_name="shared-services", account=ACCOUNT
    )


@pytest.mark.usefixtures("shop_imported")
@pytest.mark.parametrize(
    ("address", "service"),
    [
        ("52.216.10.20", "AWS S3 us-east-1"),  # listed as AMAZON and S3: the specific service
        ("3.218.181.5", "AWS EC2 us-east-1"),  # an AMAZON /22 inside an EC2 /12: still EC2
        ("18.206.107.25", "AWS EC2_INSTANCE_CONNECT us-east-1"),  # the longest specific prefix
        ("52.95.245.7", "AWS AMAZON us-east-1"),  # AMAZON only
        ("13.33.200.1", "AWS CLOUDFRONT GLOBAL"),
        ("2a05:d07a:a0ff::1", "AWS S3 eu-south-1"),
    ],
)
def test_a_public_address_names_its_aws_service_and_region(address: str, service: str) -> None:
    assert describe(address) == AddressInfo(aws_service=service)


@pytest.mark.usefixtures("shop_imported")
def test_unknown_and_unparsable_addresses_are_absent() -> None:
    assert addresses_describe(["8.8.8.8", "-", "not-an-address", "10.20.1.999", "", "2001:db8::1"]) == {}


@pytest.mark.usefixtures("shop_imported")
def test_every_address_is_keyed_as_given_once() -> None:
    found = addresses_describe(iter(["10.20.1.15", "52.216.10.20", "10.20.1.15"]))
    assert list(found) == ["10.20.1.15", "52.216.10.20"]


@pytest.mark.usefixtures("shop_imported")
def test_the_network_group_with_the_longest_matching_block_is_given() -> None:
    run("network_groups_import", str(DATA / "network-groups.json"))
    found = addresses_describe(["10.20.1.15", "10.20.2.20", "192.168.4.4", "2001:db8:100::5", "198.51.100.7"])
    assert {address: info.group for address, info in found.items()} == {
        "10.20.1.15": "shop-app-tier",  # a /24 inside all-private's 10.0.0.0/8
        "10.20.2.20": "all-private",
        "192.168.4.4": "all-private",
        "2001:db8:100::5": "office",
        "198.51.100.7": "office",
    }
    assert found["198.51.100.7"] == AddressInfo(group="office")


def test_the_lookups_are_rebuilt_when_a_group_changes_and_reused_otherwise() -> None:
    group = NetworkGroup.objects.create(name="lab", cidrs=["192.0.2.0/24"])
    assert describe("192.0.2.1") == AddressInfo(group="lab")
    assert address_index() is address_index()
    version = enrichment_version()
    group.cidrs = ["198.51.100.0/24"]
    group.save()
    assert enrichment_version() != version
    assert describe("192.0.2.1") is None
    assert describe("198.51.100.1") == AddressInfo(group="lab")


def test_deleting_a_group_changes_the_version() -> None:
    NetworkGroup.objects.create(name="a", cidrs=["192.0.2.0/24"])
    NetworkGroup.objects.create(name="b", cidrs=["198.51.100.0/24"])
    assert describe("192.0.2.1") == AddressInfo(group="a")
    NetworkGroup.objects.filter(name="a").delete()
    assert describe("192.0.2.1") is None


def overlapping_subnet(tmp_path: Path, account: str, name: str) -> Path:
    """A subnet file of `account` whose 10.0.1.0/24 other accounts reuse."""
    document = {
        "Subnets": [
            {
                "SubnetId": f"subnet-{name}",
                "CidrBlock": "10.0.1.0/24",
                "OwnerId": account,
                "AvailabilityZone": "us-east-1a",
                "Tags": [{"Key": "Name", "Value": name}],
            }
        ]
    }
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document))
    return path


def test_the_most_recent_import_wins_where_subnets_overlap(tmp_path: Path) -> None:
    # An address alone cannot tell two accounts' 10.0.1.0/24 apart, so the newer import answers.
    older = overlapping_subnet(tmp_path, "111111111111", "older")
    run("enrich_import", str(older))
    run("enrich_import", str(overlapping_subnet(tmp_path, "222222222222", "newer")))
    info = describe("10.0.1.5")
    assert info is not None
    assert (info.subnet_name, info.account) == ("newer", "222222222222")
    # The same subnet listed again from another account (it is shared with it): now the newest.
    run("enrich_import", "--account", "333333333333", str(older))
    assert addresses_describe(["10.0.1.5"])["10.0.1.5"].subnet_name == "older"


def test_nothing_imported_describes_nothing() -> None:
    assert addresses_describe(["10.0.0.1", "2001:db8::1"]) == {}
