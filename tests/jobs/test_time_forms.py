"""The common time forms of the form, API v1 and the CLI (`jobs.time_forms`): what they mean, and the
plain words of their errors. The Go-compatible routes keep Go's parser (tests/jobs/test_window.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from jobs.time_forms import USE, TimeFormInvalid, WindowInvalid, time_parse, window_from_texts
from jobs.window import window_parse
from ops.ages import AgeInvalid, age_parse

NOW = datetime(2026, 12, 6, 10, 42, 17, tzinfo=UTC)
MIDNIGHT = datetime(2019, 1, 1, tzinfo=UTC)


def parse(text: str) -> datetime:
    return time_parse(text, field="start", now=NOW)


@pytest.mark.parametrize(
    "text",
    [
        "2019-01-01T00:00:00Z",
        "2019-01-01T00:00:00.000000000Z",
        "2019-01-01T01:00:00+01:00",
        "2018-12-31T19:00:00-05:00",
        "2019-01-01 00:00",
        "2019-01-01T00:00",
        "2019-01-01 00:00:00",
        "2019-01-01t00:00:00z",
        "2019-01-01 00:00 UTC",
        "2019-01-01 02:00+0200",
        "2019-01-01",
        "1546300800",
        "1546300800.0",
        "  2019-01-01 00:00  ",
    ],
)
def test_every_form_of_the_first_minute_of_2019_means_it_in_utc(text: str) -> None:
    moment = parse(text)
    assert moment == MIDNIGHT
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "ago"),
    [
        ("now", timedelta(0)),
        ("NOW", timedelta(0)),
        ("-1h", timedelta(hours=1)),
        ("-30m", timedelta(minutes=30)),
        ("-2d", timedelta(days=2)),
        ("-1d12h", timedelta(days=1, hours=12)),
        ("now-1h", timedelta(hours=1)),
        ("now - 15m", timedelta(minutes=15)),
    ],
)
def test_now_and_ages_before_now_are_read_against_the_clock_given(text: str, ago: timedelta) -> None:
    assert parse(text) == NOW - ago


def test_fractions_keep_microseconds() -> None:
    assert parse("2019-01-01T00:00:00.123456789Z") == MIDNIGHT + timedelta(microseconds=123456)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "start is required"),
        ("   ", "start is required"),
        ("x", f'start "x" is not a time; {USE}'),
        ("2019-13-01", f'start "2019-13-01" is not a time: month must be in 1..12; {USE}'),
        ("2019-02-29 00:00", f'start "2019-02-29 00:00" is not a time: day is out of range for month; {USE}'),
        ("2019-01-01 24:00", f'start "2019-01-01 24:00" is not a time: hour must be in 0..23; {USE}'),
        (
            "1546300800000",
            f'start "1546300800000" is not a time: too large for epoch seconds (milliseconds? divide by 1000); {USE}',
        ),
        (
            "2019",
            f'start "2019" is not a time: too small for epoch seconds after 1973 (a year? write the full date); {USE}',
        ),
        (
            "-1x",
            f"start \"-1x\" is not a time: after the minus sign give an age like 1h, 30m or 2d, not '1x'; {USE}",
        ),
        (
            "2019-01-01T00:00:00+24:00",
            'start "2019-01-01T00:00:00+24:00" is not a time: the offset +24:00 is not a time zone '
            f"(hours up to 23, minutes up to 59); {USE}",
        ),
        (
            "0001-01-01T00:00:00+01:00",
            f'start "0001-01-01T00:00:00+01:00" is outside the years 1 to 9999; {USE}',
        ),
        ("tomorrow", f'start "tomorrow" is not a time; {USE}'),
    ],
)
def test_errors_name_the_field_and_say_what_works(text: str, message: str) -> None:
    with pytest.raises(TimeFormInvalid) as error:
        parse(text)
    assert str(error.value) == message
    assert "use 2019-01-01T00:00:00Z" in message or message.endswith("is required")


def test_random_times_written_in_every_form_read_back_as_the_same_instant() -> None:
    """A property test over a seeded sample of minutes from 1973 to 2273: each form reads back as it."""
    rng = random.Random(20261206)
    for _ in range(2000):
        moment = datetime(1973, 3, 4, tzinfo=UTC) + timedelta(minutes=rng.randrange(300 * 525_960))
        offset = timedelta(minutes=rng.randrange(-23 * 60, 24 * 60))
        local = moment.astimezone(timezone(offset))
        forms = [
            moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            moment.strftime("%Y-%m-%d %H:%M"),
            moment.strftime("%Y-%m-%dT%H:%M"),
            local.isoformat(),
            str(int(moment.timestamp())),
        ]
        for text in forms:
            assert parse(text) == moment, text


def test_a_date_alone_is_its_midnight_utc() -> None:
    assert parse("2040-02-29") == datetime(2040, 2, 29, tzinfo=UTC)


# --- windows --------------------------------------------------------------------------------------


def test_go_rfc3339_keeps_its_text_and_offset_so_ids_match_the_go_services() -> None:
    text = ("2019-01-01T01:00:30.5+01:00", "2019-01-01T01:00:00Z")
    window = window_from_texts(*text, now=NOW)
    assert window == window_parse(*text)
    assert window.start.rfc3339nano() == "2019-01-01T01:00:00+01:00"


def test_other_forms_become_utc_and_ask_for_the_same_graph_as_rfc3339_with_z() -> None:
    window = window_from_texts("2019-01-01 00:00", "1546304400", now=NOW)
    expected = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")
    assert window == expected
    assert window.job_id("graph") == expected.job_id("graph")


def test_relative_windows_are_truncated_to_whole_minutes() -> None:
    window = window_from_texts("-1h", "now", now=NOW)
    assert window.start.rfc3339nano() == "2026-12-06T09:42:00Z"
    assert window.stop.rfc3339nano() == "2026-12-06T10:42:00Z"


@pytest.mark.parametrize(
    ("start", "stop", "errors"),
    [
        ("", "", {"start": "start is required", "stop": "stop is required"}),
        ("2019-01-01", "", {"stop": "stop is required"}),
        ("2019-01-01 01:00", "2019-01-01", {None: "start must be before stop"}),
        ("2019-01-01", "2019-01-01", {None: "start must be before stop"}),
        (
            "2019-01-01 00:00:10",
            "2019-01-01 00:00:50",
            {
                None: "the window is empty after truncation to whole minutes: stop must be at least a minute after start"
            },
        ),
    ],
)
def test_window_errors_are_by_field_or_about_the_whole_window(
    start: str, stop: str, errors: dict[str | None, str]
) -> None:
    with pytest.raises(WindowInvalid) as error:
        window_from_texts(start, stop, now=NOW)
    assert error.value.errors == errors


# --- ages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("2w", timedelta(weeks=2)),
        (" 45s ", timedelta(seconds=45)),
        ("1D 6H", timedelta(days=1, hours=6)),
    ],
)
def test_ages_are_numbers_with_units(text: str, age: timedelta) -> None:
    assert age_parse(text) == age


@pytest.mark.parametrize("text", ["", "30", "d", "1y", "-1d", "1.5h", "30 days"])
def test_other_ages_are_refused_with_examples(text: str) -> None:
    with pytest.raises(AgeInvalid, match="is not an age like 30d, 12h, 90m or 1d12h"):
        age_parse(text)


def test_only_ascii_digits_are_digits() -> None:
    with pytest.raises(TimeFormInvalid):
        parse("\u0662\u0660\u0661\u0669-01-01")  # 2019 in Arabic-Indic digits
    with pytest.raises(AgeInvalid):
        age_parse("\u0661d")
