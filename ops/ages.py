"""Ages written the way people say them: `30d`, `12h`, `90m`, `1d12h`, `2w`.

One reader for every place that takes an age: the relative times of the request form, API v1 and the CLI
(`-1h`), `manage.py prune --older-than 30d` and GRAPHERD_PRUNE_AFTER. Go durations have no days, and
days are what people keep artifacts for, so this is not Go's syntax.
"""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)([wdhms])", re.ASCII)
_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
AGE_EXAMPLES = "30d, 12h, 90m or 1d12h"


class AgeInvalid(ValueError):
    """Text that is not an age; the message says what is accepted."""


def age_parse(text: str) -> timedelta:
    """The age in `text`: one or more `<number><unit>` with units w, d, h, m, s (e.g. `1d12h`)."""
    compact = text.strip().replace(" ", "").lower()
    parts = _PART.findall(compact)
    if not parts or "".join(number + unit for number, unit in parts) != compact:
        raise AgeInvalid(f"{text.strip()!r} is not an age like {AGE_EXAMPLES}")
    try:
        return timedelta(seconds=sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts))
    except OverflowError:
        raise AgeInvalid(f"{text.strip()!r} is longer than any calendar can count") from None
