"""S3Source against moto: layouts, the prefixes it lists, discovery, pagination, roles and read errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.config import Config
from botocore.exceptions import ResponseStreamingError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sts.models import sts_backends

from digests.engine.objects import FlowLogReadError, FlowLogRef
from digests.sources.delivery import DeliveryLayout, FlowLogName, key_build, name_parse
from digests.sources.s3 import RegionPrefix, S3Source, assumed_role_session, s3_client_make
from tests.awsmock import aws_mocked

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

BUCKET = "flow-logs"
ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/flowlogs-reader"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def aws_name(stamp: str, account: str = ACCOUNT, region: str = REGION, flow_log: str = "fl-1") -> FlowLogName:
    name = name_parse(f"{account}_vpcflowlogs_{region}_{flow_log}_{stamp}_abcd1234.log.gz")
    assert name is not None
    return name


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    """One moto mock for the module: starting one per test costs more than all the tests together."""
    with aws_mocked(REGION):
        yield


@pytest.fixture
def s3(aws: None) -> Iterator[S3Client]:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    yield client
    cleaner = boto3.client("s3", region_name=REGION)  # free of the hooks the test put on `client`
    for page in cleaner.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        objects: list[ObjectIdentifierTypeDef] = [
            {"Key": item["Key"]} for item in page.get("Contents", []) if "Key" in item
        ]
        if objects:
            cleaner.delete_objects(Bucket=BUCKET, Delete={"Objects": objects})
    cleaner.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def calls(s3: S3Client) -> list[str]:
    """The Prefix of every ListObjectsV2 request the client sends (one per page)."""
    recorded: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        recorded.append(params["Prefix"] if params.get("Delimiter") == "/" else f"(no delimiter) {params}")

    s3.meta.events.register("provide-client-params.s3.ListObjectsV2", record)
    return recorded


def put(s3: S3Client, *keys: str, body: bytes = b"x" * 10) -> None:
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def listed(source: S3Source, start: str, stop: str) -> list[str]:
    return [ref.key for ref in source.list(at(start), at(stop))]


def fail_calls(
    client: S3Client, operation: str, code: str, status: int, when: Callable[[dict[str, Any]], bool]
) -> list[int]:
    """Makes `operation` answer with an S3 error while `when(params)` holds; returns a call counter."""
    counter: list[int] = []

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["test_params"] = params

    def answer(request: Any, **_: Any) -> AWSResponse | None:
        if not when(request.context["test_params"]):
            return None
        counter.append(1)
        body = f"<Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
        return AWSResponse(request.url, status, HTTPHeaders(), _Raw(body))

    client.meta.events.register(f"provide-client-params.s3.{operation}", remember)
    # First, so it runs before moto's own before-send handler and inside botocore's retry loop.
    client.meta.events.register_first(f"before-send.s3.{operation}", cast(Any, answer))
    return counter


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


# --- layouts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", list(DeliveryLayout))
@pytest.mark.parametrize(
    ("prefix", "org"), [("", None), ("vpc/flows", None), ("", "o-abc123"), ("x", "o-abc123")]
)
def test_every_layout_is_listed_with_and_without_prefix_and_org_segment(
    s3: S3Client, layout: DeliveryLayout, prefix: str, org: str | None
) -> None:
    def key(stamp: str) -> str:
        return key_build(layout, aws_name(stamp), prefix=prefix, org=org)

    wanted = [key("20190101T0000Z"), key("20190101T0055Z"), key("20190101T0110Z"), key("20181231T2350Z")]
    put(s3, *wanted, key("20190101T0300Z"), key("20181231T2200Z"), key("20190102T0030Z"))
    source = S3Source(BUCKET, prefix=prefix, client=s3)
    assert listed(source, "2019-01-01T00:00", "2019-01-01T01:00") == sorted(wanted)
    assert source.skipped_keys == []


def test_refs_carry_size_and_name_timestamp_and_read_returns_the_stored_bytes(s3: S3Client) -> None:
    key = key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0005Z"))
    put(s3, key, body=b"\x1f\x8b stored")
    source = S3Source(BUCKET, client=s3, accounts=[ACCOUNT], regions=[REGION])
    [ref] = source.list(at("2019-01-01T00:00"), at("2019-01-01T01:00"))
    assert ref == FlowLogRef(key, 9, at("2019-01-01T00:05"))
    assert source.read(ref) == b"\x1f\x8b stored"


# --- the prefixes listed ------------------------------------------------------------------------------

DAY_BASE = f"AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/"


def test_a_window_inside_a_day_lists_only_that_day(s3: S3Client, calls: list[str]) -> None:
    put(s3, key_build(DeliveryLayout.DEFAULT, aws_name("20191012T1030Z")))
    source = S3Source(BUCKET, client=s3, accounts=[ACCOUNT], regions=[REGION])
    assert len(listed(source, "2019-10-12T10:30", "2019-10-12T11:00")) == 1
    assert calls == ["AWSLogs/", f"{DAY_BASE}2019/10/12/"]


def test_a_window_across_midnight_lists_both_days(s3: S3Client, calls: list[str]) -> None:
    late, early = aws_name("20190101T2350Z"), aws_name("20190102T0010Z")
    put(s3, key_build(DeliveryLayout.DEFAULT, late), key_build(DeliveryLayout.DEFAULT, early))
    source = S3Source(BUCKET, client=s3, accounts=[ACCOUNT], regions=[REGION])
    assert len(listed(source, "2019-01-01T23:30", "2019-01-02T00:30")) == 2
    assert calls == ["AWSLogs/", f"{DAY_BASE}2019/01/01/", f"{DAY_BASE}2019/01/02/"]


@pytest.mark.parametrize(
    ("start", "stop", "days"),
    [
        ("2019-01-31T23:50", "2019-02-01T00:10", ["2019/01/31/", "2019/02/01/"]),
        ("2018-12-31T23:00", "2019-01-01T01:00", ["2018/12/31/", "2019/01/01/"]),
        ("2020-02-28T12:00", "2020-03-01T12:00", ["2020/02/28/", "2020/02/29/", "2020/03/01/"]),
        ("2019-06-10T00:05", "2019-06-10T00:10", ["2019/06/09/", "2019/06/10/"]),  # the slack reaches back
        ("2019-06-10T23:50", "2019-06-10T23:55", ["2019/06/10/", "2019/06/11/"]),  # and forward
    ],
)
def test_windows_across_month_and_year_ends_list_every_day_they_touch_and_no_other(
    s3: S3Client, calls: list[str], start: str, stop: str, days: list[str]
) -> None:
    put(s3, key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0000Z")))
    listed(S3Source(BUCKET, client=s3, accounts=[ACCOUNT], regions=[REGION]), start, stop)
    assert calls == ["AWSLogs/", *(DAY_BASE + day for day in days)]


@pytest.mark.parametrize("layout", [DeliveryLayout.HOURLY, DeliveryLayout.HIVE_HOURLY])
def test_hourly_layouts_list_the_day_then_only_the_hours_the_window_needs(
    s3: S3Client, calls: list[str], layout: DeliveryLayout
) -> None:
    put(s3, *(key_build(layout, aws_name(f"20191012T{hour:02d}05Z")) for hour in range(24)))
    source = S3Source(BUCKET, client=s3, accounts=[ACCOUNT], regions=[REGION])
    keys = listed(source, "2019-10-12T10:30", "2019-10-12T11:00")
    assert [key.rsplit("_", 2)[1] for key in keys] == ["20191012T1105Z"]  # 10:05 is before the slack
    day = key_build(layout, aws_name("20191012T1000Z")).rsplit("/", 2)[0] + "/"
    hour = "hour=" if layout.hive else ""
    assert calls[1:] == [day, f"{day}{hour}10/", f"{day}{hour}11/"]


def test_late_files_inside_the_slack_are_listed_and_files_outside_are_not(s3: S3Client) -> None:
    stamps = ["20190101T0940Z", "20190101T0945Z", "20190101T1100Z", "20190101T1120Z", "20190101T1125Z"]
    put(s3, *(key_build(DeliveryLayout.DEFAULT, aws_name(stamp)) for stamp in stamps))
    refs = S3Source(BUCKET, client=s3).list(at("2019-01-01T10:00"), at("2019-01-01T11:00"))
    assert [ref.timestamp for ref in refs] == [
        at("2019-01-01T09:45"),
        at("2019-01-01T11:00"),
        at("2019-01-01T11:20"),
    ]


# --- accounts and regions -----------------------------------------------------------------------------


def test_every_configured_account_and_region_is_scanned_and_nothing_else(
    s3: S3Client, calls: list[str]
) -> None:
    wanted = [
        key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0010Z", account, region))
        for account in (ACCOUNT, OTHER_ACCOUNT)
        for region in ("us-east-1", "eu-west-1")
    ]
    ignored = [
        key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0010Z", "333333333333")),
        key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0010Z", region="ap-south-1")),
    ]
    put(s3, *wanted, *ignored)
    source = S3Source(
        BUCKET, client=s3, accounts=[ACCOUNT, f" {OTHER_ACCOUNT}", ""], regions=["us-east-1", "eu-west-1"]
    )
    assert listed(source, "2019-01-01T00:00", "2019-01-01T01:00") == sorted(wanted)
    assert not any("333333333333" in prefix or "ap-south-1" in prefix for prefix in calls)


def test_unset_accounts_and_regions_are_discovered_in_every_spelling(s3: S3Client) -> None:
    put(
        s3,
        key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0010Z")),
        key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0010Z", region="eu-west-1")),
        key_build(DeliveryLayout.HIVE, aws_name("20190101T0010Z", OTHER_ACCOUNT)),
        key_build(DeliveryLayout.HOURLY, aws_name("20190101T0010Z", "333333333333"), org="o-abc123"),
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2019/01/01/trail.json.gz",
        "AWSLogs/aws-account-id=/junk",
    )
    source = S3Source(BUCKET, client=s3)
    assert source.region_prefixes() == [
        RegionPrefix(ACCOUNT, "eu-west-1", f"AWSLogs/{ACCOUNT}/vpcflowlogs/eu-west-1/", hive=False),
        RegionPrefix(ACCOUNT, "us-east-1", f"AWSLogs/{ACCOUNT}/vpcflowlogs/us-east-1/", hive=False),
        RegionPrefix(
            OTHER_ACCOUNT,
            "us-east-1",
            f"AWSLogs/aws-account-id={OTHER_ACCOUNT}/aws-service=vpcflowlogs/aws-region=us-east-1/",
            hive=True,
        ),
        RegionPrefix(
            "333333333333", "us-east-1", "AWSLogs/o-abc123/333333333333/vpcflowlogs/us-east-1/", hive=False
        ),
    ]
    assert len(listed(source, "2019-01-01T00:00", "2019-01-01T01:00")) == 4


def test_a_role_that_cannot_list_awslogs_falls_back_to_the_configured_accounts(
    s3: S3Client, calls: list[str]
) -> None:
    key = key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0010Z"))
    put(s3, key)
    root_denied = fail_calls(s3, "ListObjectsV2", "AccessDenied", 403, lambda p: p["Prefix"] == "AWSLogs/")
    hive_denied = fail_calls(
        s3, "ListObjectsV2", "AccessDenied", 403, lambda p: "aws-account-id" in p["Prefix"]
    )
    source = S3Source(BUCKET, client=s3, accounts=[ACCOUNT], regions=[REGION])
    assert listed(source, "2019-01-01T00:00", "2019-01-01T01:00") == [key]
    assert root_denied
    assert hive_denied


def test_without_configured_accounts_a_denied_listing_is_a_read_error(s3: S3Client) -> None:
    fail_calls(s3, "ListObjectsV2", "AccessDenied", 403, lambda p: True)
    with pytest.raises(FlowLogReadError) as raised:
        S3Source(BUCKET, client=s3).list(at("2019-01-01T00:00"), at("2019-01-01T01:00"))
    assert raised.value.key == f"s3://{BUCKET}/AWSLogs/"
    assert "access denied" in raised.value.reason


def test_a_missing_bucket_is_a_read_error_naming_it(s3: S3Client) -> None:
    with pytest.raises(FlowLogReadError, match="s3://no-such-bucket/AWSLogs/"):
        S3Source("no-such-bucket", client=s3).list(at("2019-01-01T00:00"), at("2019-01-01T01:00"))


# --- pagination, odd keys -----------------------------------------------------------------------------


def test_listings_follow_continuation_tokens(s3: S3Client, calls: list[str]) -> None:
    keys = [
        key_build(DeliveryLayout.DEFAULT, aws_name(f"20190101T00{m:02d}Z", flow_log=f"fl-{m}"))
        for m in range(0, 60, 5)
    ]
    put(s3, *keys)
    source = S3Source(BUCKET, client=s3, accounts=[ACCOUNT], regions=[REGION], page_size=5)
    assert listed(source, "2019-01-01T00:00", "2019-01-01T00:40") == sorted(keys)
    assert calls.count(f"{DAY_BASE}2019/01/01/") == 3  # 12 keys in pages of 5


def test_more_than_a_thousand_keys_in_a_day_are_all_listed(s3: S3Client) -> None:
    keys = [
        key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0010Z", flow_log=f"fl-{n:04d}"))
        for n in range(1003)
    ]
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    source = S3Source(BUCKET, client=s3, accounts=[ACCOUNT], regions=[REGION])
    assert listed(source, "2019-01-01T00:00", "2019-01-01T01:00") == keys


def test_bad_basenames_are_counted_and_skipped_instead_of_crashing(s3: S3Client) -> None:
    good = key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0010Z"))
    bad = [
        f"{DAY_BASE}2019/01/01/{ACCOUNT}_vpcflowlogs_{REGION}_fl-1_20181917T0030Z_abcd1234.log.gz",
        f"{DAY_BASE}2019/01/01/{ACCOUNT}_vpcflowlogs_{REGION}.log.gz",
        f"{DAY_BASE}2019/01/01/notes.txt",
    ]
    put(s3, good, *bad)
    source = S3Source(BUCKET, client=s3)
    assert listed(source, "2019-01-01T00:00", "2019-01-01T01:00") == [good]
    assert source.skipped_keys == sorted(bad)
    listed(source, "2019-02-01T00:00", "2019-02-01T01:00")
    assert source.skipped_keys == []  # counts belong to the last listing


def test_empty_objects_and_folder_markers_are_skipped_silently(s3: S3Client) -> None:
    put(s3, f"{DAY_BASE}2019/01/01/", key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0010Z")), body=b"")
    source = S3Source(BUCKET, client=s3)
    assert listed(source, "2019-01-01T00:00", "2019-01-01T01:00") == []
    assert source.skipped_keys == []


def test_an_empty_window_makes_no_calls(s3: S3Client, calls: list[str]) -> None:
    assert listed(S3Source(BUCKET, client=s3), "2019-01-01T01:00", "2019-01-01T01:00") == []
    assert calls == []


# --- credentials and client ---------------------------------------------------------------------------


def test_a_role_is_assumed_with_the_grapherd_session_name(s3: S3Client) -> None:
    key = key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0010Z"))
    put(s3, key)
    source = S3Source(BUCKET, region=REGION, role_arn=ROLE_ARN)
    assert listed(source, "2019-01-01T00:00", "2019-01-01T01:00") == [key]
    role = sts_backends[DEFAULT_ACCOUNT_ID]["aws"].assumed_roles[-1]
    assert (role.role_arn, role.session_name) == (ROLE_ARN, "grapherd")
    identity = assumed_role_session(ROLE_ARN, REGION).client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/flowlogs-reader/grapherd"


def test_the_client_uses_standard_retries_and_the_endpoint_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://localhost:9000")
    client = s3_client_make(REGION)
    assert client.meta.endpoint_url == "http://localhost:9000"
    retries = client.meta.config.retries  # type: ignore[attr-defined]  # set, but not in the stubs
    assert retries == {"total_max_attempts": 3, "mode": "standard"}


# --- read errors --------------------------------------------------------------------------------------


def test_reading_a_vanished_key_names_the_key(s3: S3Client) -> None:
    with pytest.raises(FlowLogReadError) as raised:
        S3Source(BUCKET, client=s3).read(FlowLogRef("AWSLogs/gone.log.gz", 10, None))
    assert raised.value.key == "AWSLogs/gone.log.gz"
    assert "NoSuchKey" in raised.value.reason


def test_reading_a_denied_key_names_the_key(s3: S3Client) -> None:
    put(s3, "AWSLogs/secret.log.gz")
    fail_calls(s3, "GetObject", "AccessDenied", 403, lambda p: True)
    with pytest.raises(FlowLogReadError, match=r"AWSLogs/secret.log.gz: access denied \(AccessDenied\)"):
        S3Source(BUCKET, client=s3).read(FlowLogRef("AWSLogs/secret.log.gz", 10, None))


def test_transient_errors_are_retried_up_to_three_attempts(s3: S3Client) -> None:
    put(s3, "AWSLogs/a.log.gz", body=b"data")
    client = s3_client_make(REGION)
    failures = fail_calls(client, "GetObject", "InternalError", 500, lambda p: len(failures) < 2)
    source = S3Source(BUCKET, client=client)
    assert source.read(FlowLogRef("AWSLogs/a.log.gz", 4, None)) == b"data"
    assert len(failures) == 2

    always = fail_calls(client, "GetObject", "InternalError", 500, lambda p: True)
    with pytest.raises(FlowLogReadError, match=r"AWSLogs/a\.log\.gz: InternalError"):
        source.read(FlowLogRef("AWSLogs/a.log.gz", 4, None))
    assert len(always) == 3


def test_a_connection_error_names_the_key() -> None:
    client = boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(FlowLogReadError) as raised:
        S3Source(BUCKET, client=client).read(FlowLogRef("AWSLogs/a.log.gz", 4, None))
    assert raised.value.key == "AWSLogs/a.log.gz"
    assert "Could not connect" in raised.value.reason


def test_an_interrupted_download_is_retried_then_reported() -> None:
    class Body:
        def read(self) -> bytes:
            raise ResponseStreamingError(error="connection reset")

    class Client:
        calls = 0

        def get_object(self, **_: Any) -> dict[str, Any]:
            Client.calls += 1
            return {"Body": Body()}

    source = S3Source(BUCKET, client=cast("S3Client", Client()))
    with pytest.raises(FlowLogReadError, match=r"a\.log\.gz: download interrupted"):
        source.read(FlowLogRef("a.log.gz", 4, None))
    assert Client.calls == 3


# --- where it looked, for a window with no file ---------------------------------------------------------


def test_the_account_and_region_prefixes_listed_are_kept_for_the_no_file_warning(s3: S3Client) -> None:
    put(s3, key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0005Z", region="eu-west-1"), prefix="logs"))
    source = S3Source(BUCKET, prefix="logs", client=s3)
    assert listed(source, "2019-03-01T00:00", "2019-03-01T01:00") == []
    assert source.listed_prefixes == [f"s3://{BUCKET}/logs/AWSLogs/{ACCOUNT}/vpcflowlogs/eu-west-1/"]


def test_a_prefix_under_which_no_account_is_found_is_named_itself(s3: S3Client) -> None:
    put(s3, key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0005Z"), prefix="logs"))
    source = S3Source(BUCKET, prefix="log", client=s3)  # misspelt
    assert listed(source, "2019-01-01T00:00", "2019-01-01T01:00") == []
    assert source.listed_prefixes == [f"s3://{BUCKET}/log/AWSLogs/"]
