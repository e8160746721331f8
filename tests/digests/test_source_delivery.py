"""Flow-log key layouts, file names and the file window (digests.sources.delivery)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from digests.sources.delivery import (
    SLACK_AFTER,
    SLACK_BEFORE,
    DeliveryLayout,
    FlowLogName,
    account_parse,
    file_window,
    key_build,
    name_format,
    name_parse,
    region_parse,
    root_prefix,
)

AWS_EXAMPLE = "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_aws_example_name_parses_into_its_parts() -> None:
    name = name_parse(AWS_EXAMPLE)
    assert name == FlowLogName(
        "123456789012", "us-east-1", "fl-1234abcd", at("2018-06-20T16:20"), "fe123456", ".log.gz"
    )


@pytest.mark.parametrize("suffix", [".log.gz", ".log.parquet", ".log", ".parquet"])
def test_text_and_parquet_suffixes_are_accepted(suffix: str) -> None:
    name = name_parse(
        f"111111111111_vpcflowlogs_eu-west-3_fl-032a163fae170ae52_20220831T1255Z_2ad4bef5{suffix}"
    )
    assert name is not None
    assert name.suffix == suffix
    assert name.hash == "2ad4bef5"
    assert name.timestamp == at("2022-08-31T12:55")


@pytest.mark.parametrize(
    "basename",
    [
        "123456789012_vpcflowlogs_us-west-2_fl-00123456789abcdef_20181917T0030Z_0a1b2c3d.log.gz",  # month 19
        "123456789012_vpcflowlogs_us-west-2_fl-00123456789abcdef_2018101T0030Z_0a1b2c3d.log.gz",  # 7 digits
        "123456789012_vpcflowlogs_us-west-2_20181017T0030Z.log.gz",  # fewer parts
        "a_b_c_d_e_f_g.log.gz",  # more parts
        "123456789012_cloudtrail_us-west-2_fl-1_20181017T0030Z_0a1b2c3d.log.gz",  # another service
        "123456789012_vpcflowlogs_us-west-2_fl-1_20181017T0030Z_0a1b2c3d.json.gz",  # unknown suffix
        "123456789012_vpcflowlogs__fl-1_20181017T0030Z_0a1b2c3d.log.gz",  # empty region
        "",
        "README",
    ],
)
def test_names_that_do_not_parse_give_none_instead_of_raising(basename: str) -> None:
    assert name_parse(basename) is None


def test_a_name_formats_back_to_the_same_text() -> None:
    name = name_parse(AWS_EXAMPLE)
    assert name is not None
    assert name_format(name) == AWS_EXAMPLE


EXAMPLE_NAME = FlowLogName("123456789012", "us-east-1", "fl-1", at("2024-02-29T07:05"), "abcd1234", ".log.gz")
BASENAME = "123456789012_vpcflowlogs_us-east-1_fl-1_20240229T0705Z_abcd1234.log.gz"


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (DeliveryLayout.DEFAULT, "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/02/29/"),
        (DeliveryLayout.HOURLY, "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/02/29/07/"),
        (
            DeliveryLayout.HIVE,
            "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/"
            "year=2024/month=02/day=29/",
        ),
        (
            DeliveryLayout.HIVE_HOURLY,
            "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/"
            "year=2024/month=02/day=29/hour=07/",
        ),
    ],
)
def test_each_layout_builds_the_key_aws_documents(layout: DeliveryLayout, expected: str) -> None:
    assert key_build(layout, EXAMPLE_NAME) == expected + BASENAME


def test_keys_take_a_prefix_and_an_organisation_segment() -> None:
    key = key_build(DeliveryLayout.DEFAULT, EXAMPLE_NAME, prefix="/logs/vpc/", org="o-abc123")
    assert key == f"logs/vpc/AWSLogs/o-abc123/123456789012/vpcflowlogs/us-east-1/2024/02/29/{BASENAME}"


@pytest.mark.parametrize(
    ("prefix", "root"),
    [
        ("", "AWSLogs/"),
        ("/", "AWSLogs/"),
        ("a/b", "a/b/AWSLogs/"),
        ("a/AWSLogs/", "a/AWSLogs/"),
        ("AWSLogs", "AWSLogs/"),
    ],
)
def test_the_root_prefix_appends_awslogs_once(prefix: str, root: str) -> None:
    assert root_prefix(prefix) == root


def test_account_and_region_segments_parse_in_both_spellings() -> None:
    assert account_parse("123456789012/") == ("123456789012", False)
    assert account_parse("aws-account-id=123456789012/") == ("123456789012", True)
    assert account_parse("o-abc123/") is None
    assert account_parse("year=2019/") is None
    assert region_parse("us-east-1/", hive=False) == "us-east-1"
    assert region_parse("aws-region=us-east-1/", hive=True) == "us-east-1"
    assert region_parse("us-east-1/", hive=True) is None


def test_the_file_window_adds_the_documented_slack() -> None:
    window = file_window(at("2019-01-01T00:00"), at("2019-01-01T01:00"))
    assert window is not None
    assert window.first == at("2019-01-01T00:00") - SLACK_BEFORE
    assert window.last == at("2019-01-01T01:00") + SLACK_AFTER
    assert window.contains(window.first)
    assert window.contains(window.last)
    assert not window.contains(window.first - timedelta(minutes=1))
    assert not window.contains(window.last + timedelta(minutes=1))


def test_an_empty_or_reversed_window_selects_no_files() -> None:
    assert file_window(at("2019-01-01T01:00"), at("2019-01-01T01:00")) is None
    assert file_window(at("2019-01-01T02:00"), at("2019-01-01T01:00")) is None


def test_a_window_inside_a_day_touches_that_day_and_its_hours() -> None:
    window = file_window(at("2019-10-12T10:30"), at("2019-10-12T11:00"))
    assert window is not None
    assert window.days() == [date(2019, 10, 12)]
    assert window.hours(date(2019, 10, 12)) == [10, 11]


def test_a_window_near_midnight_reaches_into_the_neighbouring_days_by_the_slack() -> None:
    window = file_window(at("2019-01-01T00:05"), at("2019-01-01T23:50"))
    assert window is not None
    assert window.days() == [date(2018, 12, 31), date(2019, 1, 1), date(2019, 1, 2)]
    assert window.hours(date(2018, 12, 31)) == [23]
    assert window.hours(date(2019, 1, 2)) == [0]


def test_a_window_across_a_year_end_covers_every_day() -> None:
    window = file_window(at("2018-12-30T12:00"), at("2019-01-02T12:00"))
    assert window is not None
    assert window.days() == [date(2018, 12, 30), date(2018, 12, 31), date(2019, 1, 1), date(2019, 1, 2)]


def test_offsets_are_converted_to_utc_before_choosing_days() -> None:
    plus_two = timezone(timedelta(hours=2))
    window = file_window(
        datetime(2019, 3, 1, 1, 0, tzinfo=plus_two), datetime(2019, 3, 1, 1, 30, tzinfo=plus_two)
    )
    assert window is not None
    assert window.days() == [date(2019, 2, 28)]
    assert window.hours(date(2019, 2, 28)) == [22, 23]
