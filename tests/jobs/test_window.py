"""Go-compatible window parsing, truncation and ids (docs/go-services-behaviour.md §2.1, §2.2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs.window import NS_PER_SECOND, WindowError, instant_parse, window_parse

GO_LAYOUT = "2006-01-02T15:04:05.999999999Z07:00"


@pytest.mark.parametrize(
    ("start", "stop", "digest_id", "graph_id"),
    [
        (
            "2019-01-01T00:00:00Z",
            "2019-01-01T01:00:00Z",
            "9740a140-ba85-5600-8b93-7b46eec77617",
            "96069e46-92fe-5bb8-aa83-14139ca72643",
        ),
        (
            "2019-01-01T00:00:45.5Z",
            "2019-01-01T01:00:59Z",
            "9740a140-ba85-5600-8b93-7b46eec77617",
            "96069e46-92fe-5bb8-aa83-14139ca72643",
        ),
        (
            "2019-01-01T00:00:00+00:00",
            "2019-01-01T01:00:00+00:00",
            "9740a140-ba85-5600-8b93-7b46eec77617",
            "96069e46-92fe-5bb8-aa83-14139ca72643",
        ),
        (
            "2019-01-01T00:00:00-07:00",
            "2019-01-01T01:00:00-07:00",
            "9b2bc7e1-b048-55d2-8ea1-5160effcd5e0",
            "1c5c698e-4dec-5daf-8600-09af17277a52",
        ),
        (
            "2019-01-01T07:00:00Z",
            "2019-01-01T08:00:00Z",
            "abf60ad0-5795-567c-8443-0551d93ae685",
            "b7a29efc-7c11-5a71-878e-03ed193e1e77",
        ),
        (
            "2018-10-17T00:00:00Z",
            "2018-10-17T23:59:00Z",
            "502c341a-5f26-5a18-8420-2e6e0fee0d83",
            "46380e1a-8235-5fb8-b8bf-9e58c157ae47",
        ),
    ],
)
def test_ids_match_the_go_services_vectors(start: str, stop: str, digest_id: str, graph_id: str) -> None:
    window = window_parse(start, stop)
    assert window.job_id("digest") == digest_id
    assert window.job_id("graph") == graph_id


def test_go_string_names_utc_and_repeats_other_offsets() -> None:
    assert window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z").start.go_string() == (
        "2019-01-01 00:00:00 +0000 UTC"
    )
    assert window_parse("2019-01-01T00:00:00+05:30", "2019-01-01T01:00:00+05:30").stop.go_string() == (
        "2019-01-01 01:00:00 +0530 +0530"
    )


def test_truncation_floors_to_the_minute_and_keeps_the_offset() -> None:
    window = window_parse("2019-01-01T10:15:59.999999999+05:30", "2019-01-01T11:00:01+05:30")
    assert window.start.rfc3339nano() == "2019-01-01T10:15:00+05:30"
    assert window.stop.rfc3339nano() == "2019-01-01T11:00:00+05:30"


def test_rfc3339nano_trims_fraction_zeros_and_writes_zero_offset_as_z() -> None:
    assert instant_parse("2019-01-01T01:00:00.120000000+00:00").rfc3339nano() == "2019-01-01T01:00:00.12Z"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("invalid ts", f'parsing time "invalid ts" as "{GO_LAYOUT}": cannot parse "invalid ts" as "2006"'),
        ("", f'parsing time "" as "{GO_LAYOUT}": cannot parse "" as "2006"'),
        ("2019-01-01T24:00:00Z", 'parsing time "2019-01-01T24:00:00Z": hour out of range'),
        ("2019-02-29T00:00:00Z", 'parsing time "2019-02-29T00:00:00Z": day out of range'),
        ("2019-13-01T00:00:00Z", 'parsing time "2019-13-01T00:00:00Z": month out of range'),
        ("2019-01-01T00:00:60Z", 'parsing time "2019-01-01T00:00:60Z": second out of range'),
        (
            "2019-01-01T00:00:00+0000",
            f'parsing time "2019-01-01T00:00:00+0000" as "{GO_LAYOUT}": cannot parse "+0000" as "Z07:00"',
        ),
        (
            "2019-01-01 00:00:00Z",
            f'parsing time "2019-01-01 00:00:00Z" as "{GO_LAYOUT}": cannot parse " 00:00:00Z" as "T"',
        ),
        (
            "2019-01-01T00:00:00z",
            f'parsing time "2019-01-01T00:00:00z" as "{GO_LAYOUT}": cannot parse "z" as "Z07:00"',
        ),
        ("2019-01-01", f'parsing time "2019-01-01" as "{GO_LAYOUT}": cannot parse "" as "T"'),
        (
            "2019-01-01T00:00:00",
            f'parsing time "2019-01-01T00:00:00" as "{GO_LAYOUT}": cannot parse "" as "Z07:00"',
        ),
        (
            "2019-01-01T00:00:00,5Z",
            f'parsing time "2019-01-01T00:00:00,5Z" as "{GO_LAYOUT}": cannot parse ",5Z" as "Z07:00"',
        ),
        (
            "2019-01-01T00:00:00.1234567891Z",
            f'parsing time "2019-01-01T00:00:00.1234567891Z" as "{GO_LAYOUT}": cannot parse "1Z" as "Z07:00"',
        ),
        (
            "2019-01-01T00:00:00Z trailing",
            'parsing time "2019-01-01T00:00:00Z trailing": extra text:  trailing',
        ),
    ],
)
def test_invalid_times_are_rejected_with_gos_message(value: str, message: str) -> None:
    with pytest.raises(WindowError) as caught:
        instant_parse(value)
    assert str(caught.value) == message


def test_nine_fraction_digits_are_accepted() -> None:
    assert instant_parse("2019-01-01T00:00:00.123456789Z").epoch_ns % 1_000_000_000 == 123456789


def test_start_after_stop_is_rejected_at_full_precision_before_truncation() -> None:
    with pytest.raises(WindowError, match=r"^start should be before stop$"):
        window_parse("2019-01-01T00:00:00.5Z", "2019-01-01T00:00:00.4Z")


def test_start_is_parsed_before_stop_so_its_error_wins() -> None:
    with pytest.raises(WindowError, match='"bad-start"'):
        window_parse("bad-start", "bad-stop")


def test_windows_empty_after_truncation_are_rejected_unlike_in_go() -> None:
    with pytest.raises(WindowError, match="empty"):
        window_parse("2019-01-01T00:00:10Z", "2019-01-01T00:00:50Z")


def test_years_before_1000_are_written_with_four_digits_as_go_does() -> None:
    window = window_parse("0999-01-01T00:00:00Z", "0999-01-01T01:00:00Z")
    assert window.start.go_string() == "0999-01-01 00:00:00 +0000 UTC"
    assert window.stop.rfc3339nano() == "0999-01-01T01:00:00Z"


# --- what Go accepts beyond the usual range (Go 1.12, as the services were built) ----------------------


def test_year_0000_is_accepted_as_go_does() -> None:
    window = window_parse("0000-01-01T00:00:00Z", "0000-01-01T01:00:00Z")
    assert window.start.go_string() == "0000-01-01 00:00:00 +0000 UTC"
    assert window.stop.rfc3339nano() == "0000-01-01T01:00:00Z"
    assert window.start.epoch_seconds == -62167219200  # 366 days (0000 is a leap year) before 0001-01-01
    assert window.job_id("graph") != window_parse("0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z").job_id(
        "graph"
    )


def test_the_leap_day_of_year_0000_exists_as_in_go() -> None:
    assert instant_parse("0000-02-29T00:00:00Z").rfc3339nano() == "0000-02-29T00:00:00Z"


def test_instants_python_cannot_hold_are_clamped_for_the_database_only() -> None:
    before = instant_parse("0000-06-01T00:00:00+14:00")
    after = instant_parse("9999-12-31T23:59:59-01:00")
    assert before.rfc3339nano() == "0000-06-01T00:00:00+14:00"
    assert after.go_string() == "9999-12-31 23:59:59 -0100 -0100"
    assert before.to_datetime() == datetime.min.replace(tzinfo=UTC)
    assert after.to_datetime() == datetime.max.replace(tzinfo=UTC)


def test_year_one_written_with_a_positive_offset_falls_in_year_0000_and_is_accepted() -> None:
    instant = instant_parse("0001-01-01T00:30:00+01:00")
    assert instant.epoch_seconds == -62135596800 - 1800
    assert instant.rfc3339nano() == "0001-01-01T00:30:00+01:00"


@pytest.mark.parametrize(
    ("value", "utc_seconds", "go_string"),
    [
        ("2019-01-02T00:00:00+24:00", 1546300800, "2019-01-02 00:00:00 +2400 +2400"),
        ("2019-01-01T06:00:00+05:60", 1546300800, "2019-01-01 06:00:00 +0600 +0600"),
        ("2019-01-01T00:00:00-24:00", 1546387200, "2019-01-01 00:00:00 -2400 -2400"),
        ("2019-01-02T01:00:00+25:00", 1546300800, "2019-01-02 01:00:00 +2500 +2500"),
        ("2019-01-01T00:00:00+00:99", 1546300800 - 99 * 60, "2019-01-01 00:00:00 +0139 +0139"),
    ],
)
def test_offsets_are_taken_without_a_range_check_as_go_does(
    value: str, utc_seconds: int, go_string: str
) -> None:
    instant = instant_parse(value)
    assert instant.epoch_ns == utc_seconds * NS_PER_SECOND
    assert instant.go_string() == go_string


def test_an_offset_of_24_hours_keeps_its_text_in_the_queued_times() -> None:
    window = window_parse("2019-01-02T00:00:30+24:00", "2019-01-02T01:00:00+24:00")
    assert (window.start.rfc3339nano(), window.stop.rfc3339()) == (
        "2019-01-02T00:00:00+24:00",
        "2019-01-02T01:00:00+24:00",
    )
