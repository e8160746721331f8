"""django-q2 schedules that grapherd keeps itself: created or repaired after every migrate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django_q.models import Schedule


def every_minute_ensure(name: str, func: str, next_run: datetime | None = None) -> Schedule:
    """Create or repair the schedule `name` running the task `func` every minute; safe to call on every
    deploy (e.g. after migrate). `next_run` sets its phase (the reaper runs two, half a minute apart)."""
    defaults: dict[str, Any] = {
        "func": func,
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
        "repeats": -1,
        # One result row a minute would push the graph tasks out of django-q2's save_limit.
        "kwargs": "{'q_options': {'save': False}}",
    }
    if next_run is not None:
        defaults["next_run"] = next_run
    schedule, _ = Schedule.objects.update_or_create(name=name, defaults=defaults)
    return schedule
