"""The times people type into the request form, API v1 and the CLI, read into aware UTC datetimes.

Accepted: RFC 3339 (`2019-01-01T00:00:00Z`, `…+02:00`, fractions), a space instead of `T`, seconds
left out, the zone left out (meaning UTC), a date alone (its midnight, UTC), epoch seconds, `now`, and
an age before now (`-1h`, `-30m`, `-2d`, `now-1h`). Errors name the field and say what works, in plain
words. The Go-compatible routes do not use this module: they keep Go's exact parser (`jobs.window`).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta, timezone

from jobs.window import NS_PER_SECOND, Instant, Window, WindowError, instant_parse
from ops.ages import AgeInvalid, age_parse

EMPTY_AFTER_TRUNCATION = (
    "the window is empty after truncation to whole minutes: stop must be at least a minute after start"
)
USE = "use 2019-01-01T00:00:00Z, 2019-01-01 00:00, 2019-01-01, epoch seconds, now or -1h"
_DATE_TIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[Tt ]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?)?"
    r" *(?P<zone>[Zz]|UTC|utc|[+-]\d{2}:?\d{2})?",
    re.ASCII,  # \d is 0-9 only, not every script's digits
)
_EPOCH = re.compile(r"(?P<seconds>\d+)(?:\.(?P<fraction>\d{1,9}))?", re.ASCII)
_RELATIVE = re.compile(r"(?:now)? *- *(?P<age>.+)", re.IGNORECASE)
# Epoch seconds since March 1973 have at least 9 digits: a shorter number is more likely a mistake (a
# year, a count), and 10^11 (the year 5138) and above are milliseconds or microseconds, not seconds.
EPOCH_MIN, EPOCH_MAX = 10**8, 10**11


class TimeFormInvalid(ValueError):
    """A time that could not be read; the message is for the person who typed it."""


class WindowInvalid(Exception):
    """Why a requested window was refused: a message by field ("start", "stop"), or by None when it is
    about the window as a whole (the order, or nothing left after truncation)."""

    def __init__(self, errors: dict[str | None, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def window_from_texts(start: str, stop: str, *, now: datetime) -> Window:
    """The window `[start, stop)` of two typed times, truncated to whole minutes, or WindowInvalid.

    A time that is valid Go RFC3339Nano keeps its text and offset, so it gets the id a Go client gets
    for the same text; any other form becomes its UTC instant (written with `Z`).
    """
    errors: dict[str | None, str] = {}
    instants: list[Instant] = []
    for field, text in (("start", start), ("stop", stop)):
        try:
            instants.append(_instant(text, field, now))
        except TimeFormInvalid as error:
            errors[field] = str(error)
    if errors:
        raise WindowInvalid(errors)
    begin, end = instants
    if begin.epoch_ns >= end.epoch_ns:
        raise WindowInvalid({None: "start must be before stop"})
    window = Window(begin.truncate_minute(), end.truncate_minute())
    if window.start.epoch_ns == window.stop.epoch_ns:
        raise WindowInvalid({None: EMPTY_AFTER_TRUNCATION})
    return window


def _instant(text: str, field: str, now: datetime) -> Instant:
    try:
        return instant_parse(text)
    except WindowError:
        pass
    moment = time_parse(text, field=field, now=now)
    seconds = calendar.timegm(moment.utctimetuple())
    return Instant(seconds * NS_PER_SECOND + moment.microsecond * 1000, 0)


def time_parse(text: str, *, field: str, now: datetime) -> datetime:
    """The aware UTC datetime that `text` means (`now` for `now` and relative times), or TimeFormInvalid
    naming `field`."""
    value = text.strip()
    if not value:
        raise TimeFormInvalid(f"{field} is required")
    try:
        return _parse(value, now).astimezone(UTC)
    except OverflowError:
        raise TimeFormInvalid(f'{field} "{value}" is outside the years 1 to 9999; {USE}') from None
    except ValueError as error:
        reason = f": {error}" if str(error) else ""
        raise TimeFormInvalid(f'{field} "{value}" is not a time{reason}; {USE}') from None


def _parse(value: str, now: datetime) -> datetime:
    if value.lower() == "now":
        return now
    if relative := _RELATIVE.fullmatch(value):
        try:
            return now - age_parse(relative["age"])
        except AgeInvalid:
            raise ValueError(
                f"after the minus sign give an age like 1h, 30m or 2d, not {relative['age']!r}"
            ) from None
    if epoch := _EPOCH.fullmatch(value):
        return _from_epoch(epoch["seconds"], epoch["fraction"] or "")
    if moment := _DATE_TIME.fullmatch(value):
        return _from_fields(moment.groupdict())
    raise ValueError("")


def _from_epoch(seconds_text: str, fraction: str) -> datetime:
    seconds = int(seconds_text)
    if seconds >= EPOCH_MAX:
        raise ValueError("too large for epoch seconds (milliseconds? divide by 1000)")
    if seconds < EPOCH_MIN:
        raise ValueError("too small for epoch seconds after 1973 (a year? write the full date)")
    micros = int(fraction.ljust(6, "0")[:6]) if fraction else 0
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=micros)


def _from_fields(fields: dict[str, str | None]) -> datetime:
    def number(name: str) -> int:
        return int(fields[name] or 0)

    fraction = fields["fraction"] or ""
    micros = int(fraction.ljust(6, "0")[:6]) if fraction else 0
    moment = datetime(
        number("year"),
        number("month"),
        number("day"),
        number("hour"),
        number("minute"),
        number("second"),
        micros,
    )
    return moment.replace(tzinfo=_zone(fields["zone"] or "Z"))


def _zone(text: str) -> timezone:
    if text.upper() in ("Z", "UTC"):
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ValueError(f"the offset {text} is not a time zone (hours up to 23, minutes up to 59)")
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)
