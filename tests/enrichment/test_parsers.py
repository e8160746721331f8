"""Recognising AWS documents by their content, and errors that name the file and the entry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from enrichment.errors import DocumentInvalid
from enrichment.models import Instance, Kind, NetworkInterface, Subnet, Vpc
from enrichment.parsers import document_parse, zone_region
from tests.enrichment.conftest import DATA


def sample(name: str) -> Any:
    return json.loads((DATA / name).read_text())


@pytest.mark.parametrize(
    ("name", "kind", "entries"),
    [
        ("describe-network-interfaces.json", Kind.NETWORK_INTERFACES, 4),
        ("describe-instances.json", Kind.INSTANCES, 3),
        ("describe-subnets.json", Kind.SUBNETS, 3),
        ("describe-vpcs.json", Kind.VPCS, 2),
        ("ip-ranges.json", Kind.IP_RANGES, 17),
    ],
)
def test_each_sample_is_recognised_by_its_content(name: str, kind: Kind, entries: int) -> None:
    parsed = document_parse(sample(name), "renamed.json")
    assert (parsed.kind, len(parsed.entries)) == (kind, entries)


def test_an_eni_keeps_its_addresses_names_and_attachment() -> None:
    entries = document_parse(sample("describe-network-interfaces.json"), "f").entries
    enis = {eni.eni_id: eni for eni in entries if isinstance(eni, NetworkInterface)}
    web = enis["eni-0a11c2d3e4f506171"]
    assert (web.addresses, web.instance_id, web.account, web.region) == (
        "10.20.1.15 10.20.1.16",
        "i-0a1b2c3d4e5f60001",
        "111122223333",
        "us-east-1",
    )
    elb = enis["eni-0b22c3d4e5f607182"]
    assert elb.addresses == "10.20.0.10 2600:1f18:4a3:6f00:8d6e:3477:df66:f105"
    assert (elb.instance_id, elb.description) == ("", "ELB app/shop-alb/50dc6c495c0c9188")
    spare = enis["eni-0d44e5f6a7b809204"]
    assert spare.name == "spare-eni"  # from TagSet, as describe-network-interfaces calls it


def test_an_instance_keeps_its_name_tag_and_each_interface() -> None:
    instances = document_parse(sample("describe-instances.json"), "f").entries
    web = instances[0]
    assert isinstance(web, Instance)
    assert (web.instance_id, web.name, web.account, web.region) == (
        "i-0a1b2c3d4e5f60001",
        "web-1",
        "111122223333",
        "us-east-1",
    )
    assert web.interfaces == [
        {
            "eni": "eni-0a11c2d3e4f506171",
            "subnet": "subnet-0a1b2c3d4e5f60722",
            "vpc": "vpc-0a1b2c3d4e5f60789",
            "addresses": ["10.20.1.15", "10.20.1.16"],
        }
    ]


def test_subnets_and_vpcs_keep_associated_blocks_only() -> None:
    subnet = document_parse(sample("describe-subnets.json"), "f").entries[0]
    assert isinstance(subnet, Subnet)
    assert (subnet.name, subnet.cidrs) == ("shop-public-a", "10.20.0.0/24 2600:1f18:4a3:6f00::/64")
    vpc = document_parse(sample("describe-vpcs.json"), "f", region="us-east-1").entries[0]
    assert isinstance(vpc, Vpc)
    assert (vpc.name, vpc.cidrs, vpc.region) == (
        "shop-prod",
        "10.20.0.0/16 2600:1f18:4a3:6f00::/56",
        "us-east-1",
    )


def test_describe_vpcs_names_no_region_unless_one_is_given() -> None:
    assert document_parse(sample("describe-vpcs.json"), "f").regions == {""}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([1, 2], "vpcs.json: the top level is a list; expected the output of aws ec2"),
        (
            {"Buckets": []},
            "vpcs.json: not a file grapherd knows: expected the output of aws ec2 describe-network-interfaces",
        ),
        (
            {"Subnets": [], "Vpcs": []},
            "vpcs.json: holds several kinds (VPCs, subnets); import one kind per file",
        ),
        ({"Subnets": {"SubnetId": "subnet-1"}}, "vpcs.json: Subnets is an object, not a list"),
        (
            {"Subnets": [{"SubnetId": "subnet-1"}, "subnet-2"]},
            "vpcs.json: Subnets[1] is a string, not an object",
        ),
        ({"Subnets": [{"VpcId": "vpc-1"}]}, "vpcs.json: Subnets[0]: no SubnetId"),
        (
            {"Subnets": [{"SubnetId": "s", "CidrBlock": "10.0.0.0/33"}]},
            "vpcs.json: Subnets[0]: '10.0.0.0/33' is not a CIDR block",
        ),
        (
            {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "PrivateIpAddress": "10.0.0.999"}]},
            "vpcs.json: NetworkInterfaces[0]: '10.0.0.999' does not appear to be",
        ),
        (
            {"Reservations": [{"Instances": [{"InstanceId": 7}]}]},
            "vpcs.json: Reservations[0].Instances[0]: InstanceId is a number, not a string",
        ),
        ({"prefixes": [{"ip_prefix": "3.5.140.0/22"}]}, "vpcs.json: prefixes[0]: no service"),
    ],
)
def test_a_malformed_document_is_refused_naming_the_file_and_the_entry(
    document: object, message: str
) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        document_parse(document, "vpcs.json")
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("zone", "region"),
    [
        ("us-east-1a", "us-east-1"),
        ("us-gov-west-1b", "us-gov-west-1"),
        ("us-west-2-lax-1a", "us-west-2"),
        ("ap-southeast-4c", "ap-southeast-4"),
        ("", ""),
    ],
)
def test_an_availability_zone_gives_its_region(zone: str, region: str) -> None:
    assert zone_region(zone) == region
