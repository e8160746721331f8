"""Typed reads of environment variables that never raise: a bad value becomes a `Problem` naming the
variable, and the default stands in. Every name read is remembered, so the variables the project knows
are exactly the ones its configuration reads (`ops.env` warns about the others)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from ops.ages import AGE_EXAMPLES, AgeInvalid, age_parse

_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}

# One stable system-check id per rule (`manage.py check` prints them; SILENCED_SYSTEM_CHECKS takes them).
NOT_A_BOOLEAN = "grapherd.E001"
NOT_A_NUMBER = "grapherd.E002"
BELOW_MINIMUM = "grapherd.E003"
NOT_A_URL = "grapherd.E004"
NOT_A_DURATION = "grapherd.E005"
NOT_A_CHOICE = "grapherd.E006"
NOT_AN_ADDRESS = "grapherd.E007"
NOT_AN_AGE = "grapherd.E014"


@dataclass(frozen=True)
class Problem:
    check_id: str  # e.g. "grapherd.E002"; warnings have a W id
    message: str

    @property
    def is_warning(self) -> bool:
        return ".W" in self.check_id


def flag_parse(raw: str) -> bool | None:
    """Go's strconv.ParseBool plus yes/no/on/off; None when empty or not a boolean."""
    value = raw.strip()
    if value in _TRUE or value.lower() in {"yes", "on"}:
        return True
    if value in _FALSE or value.lower() in {"no", "off"}:
        return False
    return None


class EnvReader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[Problem] = []
        self.names: set[str] = set()  # every variable read, set or not

    def raw(self, name: str) -> str:
        self.names.add(name)
        return self.env.get(name, "").strip()

    def problem(self, check_id: str, message: str) -> None:
        self.problems.append(Problem(check_id, message))

    def text(self, name: str, default: str = "") -> str:
        return self.raw(name) or default

    def flag(self, name: str, default: bool) -> bool:
        raw = self.raw(name)
        value = flag_parse(raw)
        if value is None:
            if raw:
                self.problem(NOT_A_BOOLEAN, f"{name}={raw!r} is not a boolean; use true or false.")
            return default
        return value

    def integer(self, name: str, default: int, *, minimum: int | None = None, unit: str = "") -> int:
        raw = self.raw(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problem(
                NOT_A_NUMBER, f"{name}={raw!r} is not a whole number{f' of {unit}' if unit else ''}."
            )
            return default
        if minimum is not None and value < minimum:
            self.problem(BELOW_MINIMUM, f"{name}={value} must be at least {minimum}.")
            return default
        return value

    def url(self, name: str) -> str:
        raw = self.raw(name)
        if raw:
            parts = urlsplit(raw)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                message = f"{name}={raw!r} is not an http(s) URL, e.g. http://digesterd.internal:8080/."
                self.problem(NOT_A_URL, message)
        return raw

    def items(self, name: str, separators: str = ",") -> tuple[str, ...]:
        raw = self.raw(name)
        for separator in separators[1:]:
            raw = raw.replace(separator, separators[0])
        return tuple(part.strip() for part in raw.split(separators[0]) if part.strip())

    def duration(self, name: str, default: float) -> float:
        """A Go duration such as `10s`, `500ms` or `1m30s`, in seconds."""
        raw = self.raw(name)
        if not raw:
            return default
        parts = _GO_DURATION.findall(raw)
        if not parts or "".join(number + unit for number, unit in parts) != raw:
            self.problem(NOT_A_DURATION, f"{name}={raw!r} is not a duration like 10s, 500ms or 1m30s.")
            return default
        return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)

    def choice(self, name: str, default: str, choices: Mapping[str, str]) -> str:
        """One of `choices` (case-insensitive); the value is what the choice maps to."""
        raw = self.text(name, default).upper()
        if raw not in choices:
            self.problem(NOT_A_CHOICE, f"{name}={raw!r} must be one of {', '.join(sorted(choices))}.")
            return choices[default.upper()]
        return choices[raw]

    def address(self, name: str, default: str) -> tuple[str, int]:
        raw = self.text(name, default)
        host, colon, port = raw.rpartition(":")
        if not colon or not port.isdigit() or not 0 < int(port) < 65536:
            message = f"{name}={raw!r} is not a host:port address like :8080 or 127.0.0.1:8080."
            self.problem(NOT_AN_ADDRESS, message)
            host, _, port = default.rpartition(":")
        return host.strip("[]") or "0.0.0.0", int(port)

    def age(self, name: str) -> timedelta | None:
        """An age such as `30d` or `12h` (`ops.ages`); None when unset, or not an age (reported)."""
        raw = self.raw(name)
        if not raw:
            return None
        try:
            age = age_parse(raw)
        except AgeInvalid:
            self.problem(NOT_AN_AGE, f"{name}={raw!r} is not an age like {AGE_EXAMPLES}.")
            return None
        if not age:
            self.problem(
                BELOW_MINIMUM, f"{name}={raw!r} must be longer than nothing; leave it unset for never."
            )
            return None
        return age
