"""django-q2 schedules that the service needs on every deploy, created or repaired after migrate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django_q.models import Schedule


def every_minute_ensure(name: str, func: str, next_run: datetime | None = None) -> Schedule:
    """Create or repair a schedule running `func` every minute, keeping no result rows (one a minute
    would push the jobs' tasks out of django-q2's save_limit)."""
    defaults: dict[str, Any] = {
        "func": func,
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
        "repeats": -1,
        "kwargs": "{'q_options': {'save': False}}",
    }
    if next_run is not None:
        defaults["next_run"] = next_run
    schedule, _ = Schedule.objects.update_or_create(name=name, defaults=defaults)
    return schedule
