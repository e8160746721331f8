"""Fixtures of the enrichment tests: the sample AWS files, and a lookup cache that starts empty."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from enrichment.selectors import address_index_forget

DATA = Path(__file__).resolve().parents[1] / "data" / "enrichment"
AWS_SAMPLES = (
    "describe-network-interfaces.json",
    "describe-instances.json",
    "describe-subnets.json",
    "ip-ranges.json",
)
ACCOUNT, REGION = "111122223333", "us-east-1"


@pytest.fixture(autouse=True)
def fresh_lookup_cache() -> Iterator[None]:
    # Each test's rows are rolled back; SQLite may then reuse ids, so an old version key could repeat.
    address_index_forget()
    yield
    address_index_forget()


def run(command: str, *args: str) -> tuple[str, str]:
    """Run a management command; (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def shop_imported(db: None) -> None:
    """The sample shop VPC: ENIs, instances, subnets, VPCs (with their region) and ip-ranges.json."""
    run("enrich_import", *(str(DATA / name) for name in AWS_SAMPLES))
    run("enrich_import", "--region", REGION, str(DATA / "describe-vpcs.json"))
