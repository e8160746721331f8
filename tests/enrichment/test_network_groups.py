"""Network groups from JSON and CSV files: created or updated by name, bad rows named by line."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError

from enrichment.models import NetworkGroup
from tests.enrichment.conftest import DATA, run

pytestmark = pytest.mark.django_db


def groups() -> dict[str, tuple[list[str], str]]:
    return {group.name: (group.cidrs, group.description) for group in NetworkGroup.objects.all()}


def import_text(tmp_path: Path, text: str, name: str = "groups.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return run("network_groups_import", str(path))[0].strip()


def test_a_json_file_creates_its_groups() -> None:
    out, _ = run("network_groups_import", str(DATA / "network-groups.json"))
    assert out.strip() == f"{DATA / 'network-groups.json'}: 3 groups created, 0 updated, 0 unchanged"
    assert groups()["office"] == (["198.51.100.0/24", "2001:db8:100::/48"], "Head office egress")
    assert groups()["shop-app-tier"] == (["10.20.1.0/24"], "Application servers of the shop")


def test_csv_rows_with_the_same_name_form_one_group() -> None:
    run("network_groups_import", str(DATA / "network-groups.csv"))
    assert groups() == {
        "office": (["198.51.100.0/24", "2001:db8:100::/48"], "Head office egress"),
        "partner-payments": (["203.0.113.0/25", "203.0.113.128/26"], "Card payments partner"),
    }


def test_a_second_import_updates_by_name_and_keeps_other_groups(tmp_path: Path) -> None:
    run("network_groups_import", str(DATA / "network-groups.json"))
    before = NetworkGroup.objects.get(name="all-private").updated_at
    out = import_text(
        tmp_path,
        "office,192.0.2.0/24\n"
        "all-private,10.0.0.0/8\nall-private,172.16.0.0/12\nall-private,192.168.0.0/16\n"
        "lab,198.18.0.0/15,Test lab\n",
    )
    assert out.endswith("1 group created, 1 updated, 1 unchanged")
    # The CSV gave no description for office: the one it had is kept.
    assert groups()["office"] == (["192.0.2.0/24"], "Head office egress")
    assert "shop-app-tier" in groups()
    assert NetworkGroup.objects.get(name="all-private").updated_at == before  # unchanged: not saved


def test_host_bits_are_cleared_and_repeated_blocks_kept_once(tmp_path: Path) -> None:
    import_text(tmp_path, "lab,10.1.2.3/16\nlab,10.1.0.0/16\nlab,2001:DB8::1/64\n")
    assert groups()["lab"][0] == ["10.1.0.0/16", "2001:db8::/64"]


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "name,cidr\noffice,198.51.100.0/24\noffice,198.51.100.300/24\n,10.0.0.0/8\n",
            "line 3: '198.51.100.300/24' is not a CIDR block (e.g. 10.0.0.0/16 or 2600:1f18::/56); line 4: a group needs a name",
        ),
        (
            "office,198.51.100.0/24,HQ\noffice,192.0.2.0/24,Branch\n",
            "line 2: group 'office' already has the description 'HQ'",
        ),
        ("office\n", "line 1: expected name,cidr[,description], found 1 columns"),
        ("", "no groups in the file"),
    ],
)
def test_bad_csv_rows_are_named_by_line_and_nothing_is_stored(
    tmp_path: Path, text: str, problems: str
) -> None:
    NetworkGroup.objects.create(name="office", cidrs=["203.0.113.0/24"])
    with pytest.raises(CommandError) as caught:
        import_text(tmp_path, text)
    assert str(caught.value).startswith(f"{tmp_path / 'groups.csv'}: nothing imported: {problems}")
    assert groups() == {"office": (["203.0.113.0/24"], "")}


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            '[\n  {"name": "office", "cidrs": ["198.51.100.0/24"]},\n  {"name": "lab", "cidrs": ["nope"]}\n]',
            "line 3: 'nope' is not a CIDR block",
        ),
        (
            '[\n  {"name": "lab", "cidr": ["10.0.0.0/8"]}\n]',
            "line 2: unknown key 'cidr' (expected name, cidrs, description)",
        ),
        ('[{"name": "lab", "cidrs": []}]', "line 1: cidrs must be a non-empty list of CIDR strings"),
        (
            '[{"name": "a", "cidrs": ["10.0.0.0/8"]},\n {"name": "a", "cidrs": ["11.0.0.0/8"]}]',
            "line 2: group 'a' is already defined on line 1",
        ),
        ('[{"name": "a", "cidrs": ["10.0.0.0/8"]}', "line 1: not JSON: Expecting ',' delimiter"),
        ('{"name": "a", "cidrs": ["10.0.0.0/8"]}', "a JSON file must hold a list of groups"),
    ],
)
def test_bad_json_entries_are_named_by_line_and_nothing_is_stored(
    tmp_path: Path, text: str, problems: str
) -> None:
    with pytest.raises(CommandError) as caught:
        import_text(tmp_path, text, "groups.json")
    assert str(caught.value).startswith(f"{tmp_path / 'groups.json'}: nothing imported: {problems}")
    assert not NetworkGroup.objects.exists()
