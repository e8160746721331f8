"""`manage.py enrich_refresh` against moto: what boto3 reads is stored as an import of the CLI's output
would be, per region and kind, and answers `addresses_describe`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from django.core.management import CommandError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sts.models import sts_backends

from enrichment.lookup import AddressInfo
from enrichment.models import EnrichmentImport, Instance, Kind, NetworkInterface, Subnet, Vpc
from enrichment.selectors import addresses_describe
from tests.awsmock import aws_mocked
from tests.enrichment.conftest import run

pytestmark = pytest.mark.django_db

REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/enrichment-reader"


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    """One moto mock for the module: moto's first EC2 calls cost more than the tests themselves."""
    with aws_mocked(REGION):
        yield


def tags(name: str, resource: str) -> Any:
    return [{"ResourceType": resource, "Tags": [{"Key": "Name", "Value": name}]}]


@pytest.fixture(scope="module")
def shop(aws: None) -> dict[str, str]:
    """A VPC with a subnet, a standalone ENI and an instance, all named by tags; their ids. Tests leave
    them as they are."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16", TagSpecifications=tags("refresh-vpc", "vpc"))["Vpc"][
        "VpcId"
    ]
    subnet = ec2.create_subnet(
        VpcId=vpc,
        CidrBlock="10.30.1.0/24",
        AvailabilityZone="us-east-1a",
        TagSpecifications=tags("refresh-app", "subnet"),
    )["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(
        SubnetId=subnet,
        PrivateIpAddress="10.30.1.10",
        Description="standby",
        TagSpecifications=tags("refresh-eni", "network-interface"),
    )["NetworkInterface"]["NetworkInterfaceId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        PrivateIpAddress="10.30.1.20",
        TagSpecifications=tags("refresh-web", "instance"),
    )["Instances"][0]
    return {
        "vpc": vpc,
        "subnet": subnet,
        "eni": eni,
        "instance": instance["InstanceId"],
        "instance_eni": instance["NetworkInterfaces"][0]["NetworkInterfaceId"],
    }


def test_a_refresh_stores_each_kind_of_each_region_scoped_by_account_and_region(
    shop: dict[str, str], set_env: Callable[..., None]
) -> None:
    set_env(VPC_FLOW_LOGS_SCAN_REGIONS="us-east-1,eu-west-1")
    out, _ = run("enrich_refresh")
    lines = out.splitlines()
    assert len(lines) == 8
    assert lines[0].startswith(
        f"refresh us-east-1 describe_network_interfaces: network interfaces, 2 entries, scope {DEFAULT_ACCOUNT_ID}/us-east-1"
    )
    assert sorted(EnrichmentImport.objects.values_list("kind", "scope", "source")) == sorted(
        (kind, f"{DEFAULT_ACCOUNT_ID}/{region}", "refresh")
        for kind in (Kind.NETWORK_INTERFACES, Kind.INSTANCES, Kind.SUBNETS, Kind.VPCS)
        for region in ("eu-west-1", "us-east-1")
    )
    eni = NetworkInterface.objects.get(eni_id=shop["eni"])
    assert (eni.name, eni.description, eni.addresses, eni.region, eni.account) == (
        "refresh-eni",
        "standby",
        "10.30.1.10",
        REGION,
        DEFAULT_ACCOUNT_ID,
    )
    assert Instance.objects.get(instance_id=shop["instance"]).name == "refresh-web"
    assert Subnet.objects.get(subnet_id=shop["subnet"]).cidrs == "10.30.1.0/24"
    vpc = Vpc.objects.get(vpc_id=shop["vpc"])
    assert (vpc.name, vpc.region) == ("refresh-vpc", REGION)  # describe-vpcs names no region: the refresh's


def test_refreshed_entries_answer_addresses_describe(
    shop: dict[str, str], set_env: Callable[..., None]
) -> None:
    run("enrich_refresh")
    found = addresses_describe(["10.30.1.20", "10.30.1.10", "10.30.1.99"])
    place = {
        "subnet": shop["subnet"],
        "subnet_name": "refresh-app",
        "subnet_cidr": "10.30.1.0/24",
        "vpc": shop["vpc"],
        "vpc_name": "refresh-vpc",
        "account": DEFAULT_ACCOUNT_ID,
    }
    assert found == {
        "10.30.1.20": AddressInfo(
            eni=shop["instance_eni"], name="refresh-web", instance=shop["instance"], **place
        ),
        "10.30.1.10": AddressInfo(eni=shop["eni"], name="refresh-eni", **place),
        "10.30.1.99": AddressInfo(**place),
    }


def test_a_second_refresh_replaces_what_the_first_stored(shop: dict[str, str]) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    leaving = ec2.create_network_interface(SubnetId=shop["subnet"], PrivateIpAddress="10.30.1.30")
    run("enrich_refresh")
    assert (
        addresses_describe(["10.30.1.30"])["10.30.1.30"].eni
        == leaving["NetworkInterface"]["NetworkInterfaceId"]
    )
    ec2.delete_network_interface(NetworkInterfaceId=leaving["NetworkInterface"]["NetworkInterfaceId"])
    out, _ = run("enrich_refresh")
    assert "network interfaces, 2 entries" in out and "replaced 1 earlier import" in out
    assert EnrichmentImport.objects.count() == 4
    assert addresses_describe(["10.30.1.30"])["10.30.1.30"].eni == ""  # now only its subnet is known


def test_the_flow_log_bucket_role_is_assumed(shop: dict[str, str], set_env: Callable[..., None]) -> None:
    set_env(VPC_FLOW_LOGS_BUCKET_ROLE=ROLE_ARN)
    run("enrich_refresh")
    role = sts_backends[DEFAULT_ACCOUNT_ID]["aws"].assumed_roles[-1]
    assert (role.role_arn, role.session_name) == (ROLE_ARN, "grapherd")
    assert NetworkInterface.objects.filter(eni_id=shop["eni"]).exists()


def test_without_any_region_the_refresh_says_what_to_set(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(CommandError, match="no region to read: set VPC_FLOW_LOGS_SCAN_REGIONS"):
        run("enrich_refresh")


def test_an_unreachable_aws_fails_the_refresh_and_stores_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the discard port: refused at once
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(
        CommandError, match="cannot tell which account the credentials belong to: Could not connect"
    ):
        run("enrich_refresh")
    assert not EnrichmentImport.objects.exists()
