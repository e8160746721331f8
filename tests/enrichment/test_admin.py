"""The enrichment admin: imports listed read-only, file uploads through the import services, and the
network-group form's CIDR checks."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from enrichment.models import EnrichmentImport, Kind, NetworkGroup, Subnet
from tests.enrichment.conftest import ACCOUNT, DATA, REGION

pytestmark = pytest.mark.django_db

IMPORTS_URL = "/admin/enrichment/enrichmentimport/"
UPLOAD_URL = IMPORTS_URL + "upload/"
GROUPS_URL = "/admin/enrichment/networkgroup/"


def message_texts(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def upload(client: Client, url: str, name: str, content: bytes, **fields: str) -> Any:
    return client.post(url, {"file": SimpleUploadedFile(name, content), **fields})


def test_an_uploaded_file_is_imported_and_its_summary_shown(admin_client: Client) -> None:
    response = upload(admin_client, UPLOAD_URL, "subnets.json", (DATA / "describe-subnets.json").read_bytes())
    assert response.status_code == 302 and response.url == IMPORTS_URL
    assert message_texts(response) == [f"subnets.json: subnets, 3 entries, scope {ACCOUNT}/{REGION}"]
    assert Subnet.objects.count() == 3


def test_an_uploaded_vpc_listing_is_scoped_by_the_region_given(admin_client: Client) -> None:
    upload(admin_client, UPLOAD_URL, "vpcs.json", (DATA / "describe-vpcs.json").read_bytes(), region=REGION)
    assert EnrichmentImport.objects.get().scope == f"{ACCOUNT}/{REGION}"


def test_an_upload_that_fails_shows_the_error_and_stores_nothing(admin_client: Client) -> None:
    response = upload(admin_client, UPLOAD_URL, "report.csv", b"a,b\n1,2\n")
    assert response.status_code == 200
    assert message_texts(response) == ["report.csv: not JSON (Expecting value: line 1 column 1 (char 0))"]
    assert b'<li class="error">Report.csv: not JSON' in response.content  # the admin capitalises messages
    assert not EnrichmentImport.objects.exists()


def test_the_import_list_shows_kind_scope_source_entries_and_time(admin_client: Client) -> None:
    upload(admin_client, UPLOAD_URL, "ranges.json", (DATA / "ip-ranges.json").read_bytes())
    response = admin_client.get(IMPORTS_URL)
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("AWS IP ranges", "global", "ranges.json", ">17<", "Upload a file"):
        assert text in page
    assert "Add import" not in page


def test_forgetting_imports_removes_their_entries_and_reports_counts(admin_client: Client) -> None:
    upload(admin_client, UPLOAD_URL, "subnets.json", (DATA / "describe-subnets.json").read_bytes())
    batch = EnrichmentImport.objects.get()
    response = admin_client.post(IMPORTS_URL, {"action": "forget_selected", "_selected_action": [batch.pk]})
    assert message_texts(response)[-1] == "Forgot 1 import and 3 entries; import them again to restore them."
    assert not Subnet.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/enrichment/networkinterface/",
        "/admin/enrichment/instance/",
        "/admin/enrichment/subnet/",
        "/admin/enrichment/vpc/",
        "/admin/enrichment/awsiprange/",
    ],
)
def test_the_entry_lists_are_searchable_and_read_only(admin_client: Client, url: str) -> None:
    for name in (
        "describe-network-interfaces.json",
        "describe-instances.json",
        "describe-subnets.json",
        "ip-ranges.json",
    ):
        upload(admin_client, UPLOAD_URL, name, (DATA / name).read_bytes())
    upload(admin_client, UPLOAD_URL, "vpcs.json", (DATA / "describe-vpcs.json").read_bytes(), region=REGION)
    response = admin_client.get(url, {"q": "1"})
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0
    assert not response.context["has_add_permission"]


def test_people_who_are_not_staff_are_sent_to_the_login_page(client: Client) -> None:
    client.force_login(User.objects.create_user("viewer", password="x"))
    response = upload(client, UPLOAD_URL, "subnets.json", (DATA / "describe-subnets.json").read_bytes())
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert not Subnet.objects.exists()


def test_staff_without_the_add_permission_cannot_upload(client: Client) -> None:
    staff = User.objects.create_user("staff", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_enrichmentimport"))
    client.force_login(staff)
    assert client.get(UPLOAD_URL).status_code == 403
    assert "Upload a file" not in client.get(IMPORTS_URL).content.decode()


def test_network_groups_can_be_uploaded_from_csv(admin_client: Client) -> None:
    response = upload(
        admin_client, GROUPS_URL + "upload/", "groups.csv", (DATA / "network-groups.csv").read_bytes()
    )
    assert message_texts(response) == ["groups.csv: 2 groups created, 0 updated, 0 unchanged"]
    assert NetworkGroup.objects.count() == 2


def test_the_group_form_names_each_bad_cidr(admin_client: Client) -> None:
    response = admin_client.post(
        GROUPS_URL + "add/",
        {"name": "office", "cidrs": "198.51.100.0/24\n10.0.0.300/8, ::g/64", "description": ""},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["cidrs"]
    assert errors == [
        "'10.0.0.300/8' is not a CIDR block (e.g. 10.0.0.0/16 or 2600:1f18::/56)",
        "'::g/64' is not a CIDR block (e.g. 10.0.0.0/16 or 2600:1f18::/56)",
    ]
    assert not NetworkGroup.objects.exists()


def test_the_group_form_keeps_blocks_canonical_one_per_line(admin_client: Client) -> None:
    response = admin_client.post(
        GROUPS_URL + "add/",
        {"name": "office", "cidrs": "198.51.100.7/24\n2001:DB8::/48\n198.51.100.0/24", "description": "HQ"},
    )
    assert response.status_code == 302
    group = NetworkGroup.objects.get()
    assert group.cidrs == ["198.51.100.0/24", "2001:db8::/48"]
    page = admin_client.get(f"{GROUPS_URL}{group.pk}/change/").content.decode()
    assert "198.51.100.0/24\n2001:db8::/48</textarea>" in page


def test_the_group_form_needs_at_least_one_block(admin_client: Client) -> None:
    response = admin_client.post(GROUPS_URL + "add/", {"name": "office", "cidrs": " \n ", "description": ""})
    assert response.context["adminform"].form.errors["cidrs"] == [
        "Enter at least one CIDR block (e.g. 10.0.0.0/16 or 2600:1f18::/56)."
    ]


def test_kinds_have_readable_labels() -> None:
    assert Kind(Kind.IP_RANGES).label == "AWS IP ranges"
