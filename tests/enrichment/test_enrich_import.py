"""`manage.py enrich_import`: one summary line per file, one transaction per file, and the scoping rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError

from enrichment.models import AwsIpRange, EnrichmentImport, Kind, NetworkInterface, Subnet, Vpc
from tests.enrichment.conftest import ACCOUNT, DATA, REGION, run

pytestmark = pytest.mark.django_db


def write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document))
    return path


def subnet(subnet_id: str, cidr: str, account: str = ACCOUNT, zone: str = "us-east-1a") -> dict[str, str]:
    return {
        "SubnetId": subnet_id,
        "CidrBlock": cidr,
        "OwnerId": account,
        "AvailabilityZone": zone,
        "VpcId": "vpc-1",
    }


def test_each_file_prints_its_kind_entries_and_scope(tmp_path: Path) -> None:
    # A renamed copy: the kind comes from the content.
    renamed = tmp_path / "export-7.json"
    renamed.write_bytes((DATA / "describe-network-interfaces.json").read_bytes())
    out, _ = run("enrich_import", str(renamed), str(DATA / "ip-ranges.json"))
    assert out.splitlines() == [
        f"{renamed}: network interfaces, 4 entries, scope {ACCOUNT}/{REGION}",
        f"{DATA / 'ip-ranges.json'}: AWS IP ranges, 17 entries, scope global",
    ]
    batch = EnrichmentImport.objects.get(kind=Kind.NETWORK_INTERFACES)
    assert (batch.source, batch.entries, batch.account, batch.region) == ("export-7.json", 4, ACCOUNT, REGION)
    assert NetworkInterface.objects.filter(enrichment_import=batch).count() == 4
    assert AwsIpRange.objects.count() == 17


def test_a_reimport_of_the_same_kind_and_scope_replaces_the_earlier_entries(tmp_path: Path) -> None:
    write(tmp_path / "a.json", {"Subnets": [subnet("subnet-old", "10.0.1.0/24")]})
    write(
        tmp_path / "b.json",
        {"Subnets": [subnet("subnet-new", "10.0.2.0/24"), subnet("subnet-new2", "10.0.3.0/24")]},
    )
    run("enrich_import", str(tmp_path / "a.json"))
    out, _ = run("enrich_import", str(tmp_path / "b.json"))
    assert (
        out.strip()
        == f"{tmp_path / 'b.json'}: subnets, 2 entries, scope {ACCOUNT}/{REGION}; replaced 1 earlier import"
    )
    assert sorted(Subnet.objects.values_list("subnet_id", flat=True)) == ["subnet-new", "subnet-new2"]
    assert EnrichmentImport.objects.count() == 1


def test_imports_of_other_accounts_regions_or_kinds_are_kept(tmp_path: Path) -> None:
    write(tmp_path / "east.json", {"Subnets": [subnet("subnet-east", "10.0.1.0/24")]})
    write(tmp_path / "west.json", {"Subnets": [subnet("subnet-west", "10.0.1.0/24", zone="us-west-2b")]})
    write(
        tmp_path / "other.json", {"Subnets": [subnet("subnet-other", "10.0.1.0/24", account="444455556666")]}
    )
    run("enrich_import", *(str(tmp_path / name) for name in ("east.json", "west.json", "other.json")))
    run("enrich_import", str(DATA / "describe-network-interfaces.json"))
    assert sorted(EnrichmentImport.objects.values_list("scope", flat=True)) == [
        f"{ACCOUNT}/{REGION}",  # the ENIs: another kind
        f"{ACCOUNT}/{REGION}",
        f"{ACCOUNT}/us-west-2",
        f"444455556666/{REGION}",
    ]
    assert Subnet.objects.count() == 3


def test_without_a_region_describe_vpcs_is_scoped_by_its_file_name(tmp_path: Path) -> None:
    out, _ = run("enrich_import", str(DATA / "describe-vpcs.json"))
    assert out.strip().endswith("VPCs, 2 entries, scope file describe-vpcs.json")
    run("enrich_import", str(DATA / "describe-vpcs.json"))  # the same name replaces it
    run("enrich_import", "--region", REGION, str(DATA / "describe-vpcs.json"))  # a region scopes it properly
    assert sorted(EnrichmentImport.objects.values_list("scope", flat=True)) == [
        f"{ACCOUNT}/{REGION}",
        "file describe-vpcs.json",
    ]
    assert set(
        Vpc.objects.filter(enrichment_import__scope=f"{ACCOUNT}/{REGION}").values_list("region", flat=True)
    ) == {REGION}


def test_an_account_given_scopes_the_import_instead_of_the_owners(tmp_path: Path) -> None:
    # A shared VPC: the participant account lists subnets the owner account shares with it.
    write(tmp_path / "shared.json", {"Subnets": [subnet("subnet-1", "10.0.1.0/24", account="999988887777")]})
    out, _ = run("enrich_import", "--account", ACCOUNT, str(tmp_path / "shared.json"))
    assert out.strip().endswith(f"scope {ACCOUNT}/{REGION}")
    assert Subnet.objects.get().account == "999988887777"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--region", "US East"), "'US East' is not an AWS region name (e.g. us-east-1)"),
        (("--account", "prod"), "'prod' is not an AWS account id (12 digits)"),
    ],
)
def test_a_scope_option_that_is_not_a_region_or_account_is_refused(
    option: tuple[str, str], message: str
) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        run("enrich_import", *option, str(DATA / "describe-vpcs.json"))
    assert not EnrichmentImport.objects.exists()


def test_an_empty_listing_is_scoped_by_its_file(tmp_path: Path) -> None:
    out, _ = run("enrich_import", str(write(tmp_path / "none.json", {"NetworkInterfaces": []})))
    assert out.strip().endswith("network interfaces, 0 entries, scope file none.json")


def test_a_new_ip_ranges_file_replaces_the_previous_whatever_its_name(tmp_path: Path) -> None:
    run("enrich_import", str(DATA / "ip-ranges.json"))
    newer = write(
        tmp_path / "ip-ranges-2024-07.json",
        {
            "syncToken": "1",
            "createDate": "2024-07-01-00-00-00",
            "prefixes": [
                {
                    "ip_prefix": "52.94.0.0/22",
                    "region": "us-east-1",
                    "service": "AMAZON",
                    "network_border_group": "us-east-1",
                }
            ],
            "ipv6_prefixes": [],
        },
    )
    run("enrich_import", str(newer))
    assert list(AwsIpRange.objects.values_list("prefix", flat=True)) == ["52.94.0.0/22"]


def test_a_region_that_contradicts_the_entries_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        CommandError,
        match=r"subnets.json: the entries are in us-east-1, not in eu-west-1 \(the region given\)",
    ):
        run("enrich_import", "--region", "eu-west-1", str(DATA / "describe-subnets.json"))
    assert not EnrichmentImport.objects.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<html>Service Unavailable</html>", "not JSON (Expecting value: line 1 column 1 (char 0))"),
        (b'{"Buckets": []}', "not a file grapherd knows"),
        (b"\xff\xfe\xfa", "not JSON"),
    ],
)
def test_a_file_that_is_not_a_known_json_fails_naming_it_and_stores_nothing(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    bad = tmp_path / "subnets.json"
    bad.write_bytes(content)
    with pytest.raises(CommandError) as caught:
        run("enrich_import", str(bad))
    assert str(caught.value).startswith(f"1 of 1 files not imported: {bad}: {reason}")
    assert not EnrichmentImport.objects.exists()


def test_a_malformed_entry_stores_nothing_of_its_file_and_keeps_the_earlier_import(tmp_path: Path) -> None:
    run("enrich_import", str(DATA / "describe-subnets.json"))
    broken = write(
        tmp_path / "subnets.json",
        {"Subnets": [subnet("subnet-x", "10.0.1.0/24"), {"CidrBlock": "10.0.2.0/24"}]},
    )
    with pytest.raises(CommandError, match=r"subnets.json: Subnets\[1\]: no SubnetId"):
        run("enrich_import", str(broken))
    assert Subnet.objects.count() == 3


def test_good_files_are_imported_and_the_command_then_fails_naming_the_bad_ones(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(CommandError) as caught:
        run("enrich_import", str(DATA / "describe-subnets.json"), str(missing), str(DATA / "ip-ranges.json"))
    assert str(caught.value).startswith(
        f"1 of 3 files not imported: {missing}: cannot read the file: No such file or directory"
    )
    assert sorted(EnrichmentImport.objects.values_list("kind", flat=True)) == [Kind.IP_RANGES, Kind.SUBNETS]


def test_the_help_states_the_scoping_rule() -> None:
    from enrichment.management.commands.enrich_import import Command

    help_text = Command().create_parser("manage.py", "enrich_import").format_help()
    assert "replaces the earlier imports of the same kind and scope" in help_text
    assert "the scope is the file's name" in help_text
