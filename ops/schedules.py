"""django-q2 schedules that grapherd keeps itself: created or repaired after every migrate."""

from __future__ import annotations

from django_q.models import Schedule


def every_minute_ensure(name: str, func: str) -> Schedule:
    """Create or repair the schedule `name` running the task `func` every minute; safe to call on every
    deploy (e.g. after migrate)."""
    schedule, _ = Schedule.objects.update_or_create(
        name=name,
        defaults={
            "func": func,
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
            # One result row a minute would push the graph tasks out of django-q2's save_limit.
            "kwargs": "{'q_options': {'save': False}}",
        },
    )
    return schedule
