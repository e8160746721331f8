"""Time windows as the Go services read them: Go's strict RFC3339Nano, minute truncation, UUIDv5 ids.

Existing clients depend on the exact 400 messages and ids, so parsing follows Go's `time.Parse` for the
layout `2006-01-02T15:04:05.999999999Z07:00` step by step (Go 1.12 rules: only `.` as the fraction
separator, year `0000` taken, no range check on the zone offset), and ids are built from Go's
`Time.String()` of the truncated times, as the Go services do.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

GO_LAYOUT = "2006-01-02T15:04:05.999999999Z07:00"
NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NAMESPACES = {name: uuid.uuid5(uuid.UUID(int=0), name) for name in ("digest", "graph")}
# What the database (and Python's datetime) can hold: 0001-01-01T00:00:00Z up to 9999-12-31T23:59:59Z. Go
# parses years 0000 to 9999 with offsets of up to ±99:99, a little beyond either end.
MIN_EPOCH_NS = -62135596800 * NS_PER_SECOND
MAX_EPOCH_NS = 253402300800 * NS_PER_SECOND - 1
SECONDS_PER_DAY = 86400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_CYCLE_DAYS = (
    146097  # 400 Gregorian years: the calendar repeats, so a date outside Python's is shifted by them
)
_CYCLE_YEARS = 400


class WindowError(ValueError):
    """Input a client sent that is not a valid window; the message is what the client sees."""


@dataclass(frozen=True, order=False)
class Instant:
    """A point in time with nanoseconds and the UTC offset it was written with (Go keeps both)."""

    epoch_ns: int
    offset: int  # seconds east of UTC

    def truncate_minute(self) -> Instant:
        return Instant(self.epoch_ns - self.epoch_ns % NS_PER_MINUTE, self.offset)

    def to_datetime(self) -> datetime:
        """Aware datetime in UTC, microsecond precision (what the database stores). An instant Go takes
        but Python cannot hold (year 0000, or 9999 pushed into 10000 by its offset) is clamped to the
        nearest one it can: the job's exact times are its start_text and stop_text."""
        if self.epoch_ns < MIN_EPOCH_NS:
            return datetime.min.replace(tzinfo=UTC)
        if self.epoch_ns > MAX_EPOCH_NS:
            return datetime.max.replace(tzinfo=UTC)
        seconds, ns = divmod(self.epoch_ns, NS_PER_SECOND)
        return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=ns // 1000)

    @property
    def epoch_seconds(self) -> int:
        return self.epoch_ns // NS_PER_SECOND

    def _local(self) -> tuple[str, str, int]:
        """Date and clock text in the instant's own offset (the year as Go writes it)."""
        seconds, ns = divmod(self.epoch_ns + self.offset * NS_PER_SECOND, NS_PER_SECOND)
        days, clock = divmod(seconds, SECONDS_PER_DAY)
        year, month, day = _civil_date(days)
        hours, rest = divmod(clock, 3600)
        return f"{_go_year(year)}-{month:02d}-{day:02d}", f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}", ns

    def _fraction(self, ns: int) -> str:
        return f".{ns:09d}".rstrip("0") if ns else ""

    def _offset_text(self, colon: bool) -> str:
        sign = "-" if self.offset < 0 else "+"
        minutes = abs(self.offset) // 60
        return f"{sign}{minutes // 60:02d}{':' if colon else ''}{minutes % 60:02d}"

    def rfc3339nano(self) -> str:
        """Go's `Format(time.RFC3339Nano)`: a zero offset is written `Z`, trailing fraction zeros trimmed."""
        date, clock, ns = self._local()
        zone = "Z" if self.offset == 0 else self._offset_text(colon=True)
        return f"{date}T{clock}{self._fraction(ns)}{zone}"

    def rfc3339(self) -> str:
        """Go's `Format(time.RFC3339)` (no fraction)."""
        date, clock, _ = self._local()
        zone = "Z" if self.offset == 0 else self._offset_text(colon=True)
        return f"{date}T{clock}{zone}"

    def go_string(self) -> str:
        """Go's `Time.String()` on a UTC server: `2019-01-01 00:00:00 +0000 UTC`, `... -0700 -0700`."""
        date, clock, ns = self._local()
        numeric = self._offset_text(colon=False)
        name = "UTC" if self.offset == 0 else numeric  # Go on a UTC server names a zero offset "UTC"
        return f"{date} {clock}{self._fraction(ns)} {numeric} {name}"


@dataclass(frozen=True)
class Window:
    start: Instant
    stop: Instant

    def job_id(self, namespace: str) -> str:
        name = self.start.go_string() + self.stop.go_string()
        return str(uuid.uuid5(NAMESPACES[namespace], name))


def _epoch_day(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date, year 0 included (Python's dates start at 1)."""
    cycles = 1 if year < 1 else 0
    return date(year + cycles * _CYCLE_YEARS, month, day).toordinal() - cycles * _CYCLE_DAYS - _EPOCH_ORDINAL


def _civil_date(epoch_day: int) -> tuple[int, int, int]:
    """(year, month, day) of a day counted from 1970-01-01; `_epoch_day`'s inverse, for any year."""
    ordinal, cycles = epoch_day + _EPOCH_ORDINAL, 0
    while ordinal < 1:
        ordinal, cycles = ordinal + _CYCLE_DAYS, cycles - 1
    while ordinal > date.max.toordinal():
        ordinal, cycles = ordinal - _CYCLE_DAYS, cycles + 1
    civil = date.fromordinal(ordinal)
    return civil.year + cycles * _CYCLE_YEARS, civil.month, civil.day


def _go_year(year: int) -> str:
    """Go's `2006`: four digits at least, a sign before negative years (`-0001`)."""
    return f"-{-year:04d}" if year < 0 else f"{year:04d}"


class _GoParseError(Exception):
    pass


def _error(value: str, layout_elem: str, value_elem: str) -> WindowError:
    return WindowError(
        f'parsing time "{value}" as "{GO_LAYOUT}": cannot parse "{value_elem}" as "{layout_elem}"'
    )


def _range_error(value: str, what: str) -> WindowError:
    return WindowError(f'parsing time "{value}": {what} out of range')


def _getnum(text: str, fixed: bool) -> tuple[int, str]:
    if not text[:1].isdigit() or not text[:1].isascii():
        raise _GoParseError
    if len(text) < 2 or not ("0" <= text[1] <= "9"):
        if fixed:
            raise _GoParseError
        return int(text[0]), text[1:]
    return int(text[:2]), text[2:]


def _go_atoi(text: str) -> int:
    digits = text[1:] if text[:1] in "+-" and text else text
    if not digits or not all("0" <= c <= "9" for c in digits):
        raise _GoParseError
    return -int(digits) if text.startswith("-") else int(digits)


_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in(month: int, year: int) -> int:
    if month == 2 and calendar.isleap(year):
        return 29
    return _DAYS_IN_MONTH[month]


@dataclass
class _Fields:
    year: int = 0
    month: int = 1
    day: int = 1
    hour: int = 0
    minute: int = 0
    second: int = 0
    nanos: int = 0
    offset: int | None = None  # None = `Z`


def _parse_fields(value: str) -> _Fields:
    f = _Fields()
    rest = value
    steps: list[tuple[str, str]] = [
        ("", "2006"),
        ("-", "01"),
        ("-", "02"),
        ("T", "15"),
        (":", "04"),
        (":", "05"),
        ("", ".999999999"),
        ("", "Z07:00"),
    ]
    for prefix, elem in steps:
        if prefix:
            if not rest.startswith(prefix):
                raise _error(value, prefix, rest)
            rest = rest[len(prefix) :]
        hold = rest
        try:
            if elem == "2006":
                if len(rest) < 4 or not ("0" <= rest[0] <= "9"):
                    raise _GoParseError
                f.year, rest = _go_atoi(rest[:4]), rest[4:]
            elif elem == "01":
                f.month, rest = _getnum(rest, True)
                if not 1 <= f.month <= 12:
                    raise _range_error(value, "month")
            elif elem == "02":
                f.day, rest = _getnum(rest, True)
            elif elem == "15":
                f.hour, rest = _getnum(rest, False)
                if not 0 <= f.hour < 24:
                    raise _range_error(value, "hour")
            elif elem == "04":
                f.minute, rest = _getnum(rest, True)
                if not 0 <= f.minute < 60:
                    raise _range_error(value, "minute")
            elif elem == "05":
                f.second, rest = _getnum(rest, True)
                if not 0 <= f.second < 60:
                    raise _range_error(value, "second")
            elif elem == ".999999999":
                f.nanos, rest = _parse_fraction(rest)
            else:
                f.offset, rest = _parse_zone(value, rest)
        except _GoParseError:
            raise _error(value, elem, hold) from None
    if rest:
        raise WindowError(f'parsing time "{value}": extra text: {rest}')  # Go 1.12 did not quote it
    if not 1 <= f.day <= _days_in(f.month, f.year):
        raise WindowError(f'parsing time "{value}": day out of range')
    return f


def _parse_fraction(rest: str) -> tuple[int, str]:
    if len(rest) < 2 or rest[0] != "." or not ("0" <= rest[1] <= "9"):
        return 0, rest
    end = 1
    while end < 10 and end < len(rest) and "0" <= rest[end] <= "9":  # Go reads at most nine digits
        end += 1
    digits = rest[1:end]
    return int(digits) * 10 ** (9 - len(digits)), rest[end:]


def _parse_zone(value: str, rest: str) -> tuple[int | None, str]:
    if rest[:1] == "Z":
        return None, rest[1:]
    if len(rest) < 6 or rest[3] != ":":
        raise _GoParseError
    sign, hours, minutes = rest[0], _go_atoi(rest[1:3]), _go_atoi(rest[4:6])
    if sign not in "+-":
        raise _GoParseError
    # No range check, as in Go 1.12: `+24:00` and `+05:60` are taken (by every Go release), and so are
    # `+25:00` and `+05:61` (Go 1.20 and later refuse those: "time zone offset hour out of range").
    offset = (hours * 60 + minutes) * 60
    return (-offset if sign == "-" else offset), rest[6:]


def instant_parse(value: str) -> Instant:
    """Parse like Go's `time.Parse(time.RFC3339Nano, value)`; the WindowError text is Go's."""
    f = _parse_fields(value)
    offset = f.offset or 0
    local = _epoch_day(f.year, f.month, f.day) * SECONDS_PER_DAY + f.hour * 3600 + f.minute * 60 + f.second
    return Instant((local - offset) * NS_PER_SECOND + f.nanos, offset)


def window_parse(start: str, stop: str) -> Window:
    """The API's window: parse start then stop, check the order at full precision, truncate to minutes.

    Unlike Go, a window that is empty after truncation is rejected (the Go service accepted it and its
    worker then rejected it for ever).
    """
    begin, end = instant_parse(start), instant_parse(stop)
    if begin.epoch_ns > end.epoch_ns:
        raise WindowError("start should be before stop")
    window = Window(begin.truncate_minute(), end.truncate_minute())
    if window.start.epoch_ns == window.stop.epoch_ns:
        raise WindowError(
            "the window is empty after truncation to whole minutes: stop must be at least a minute after start"
        )
    return window


class _WindowText(Protocol):
    start_text: str
    stop_text: str


def job_window(job: _WindowText) -> Window:
    """The window of a job row (its times as the job message carried them)."""
    return Window(instant_parse(job.start_text), instant_parse(job.stop_text))


def worker_window(start: str, stop: str) -> Window:
    """The worker route's checks, in the Go service's order and words: start, stop, then stop > start."""
    begin, end = instant_parse(start), instant_parse(stop)
    if end.epoch_ns <= begin.epoch_ns:
        raise WindowError("invalid time range")
    return Window(begin, end)
