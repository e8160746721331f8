"""The worker heartbeat behind `/healthz`.

A django-q2 schedule runs `heartbeat` every minute on a worker, which writes the time into the cache
django-q2 uses (`Q_CLUSTER["cache"]`, default "default"). The web process can only read it when that
cache is shared between processes (the database cache, Redis, memcached), never with LocMemCache.
"""

from __future__ import annotations

from datetime import datetime

from django.core.cache import BaseCache, caches
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_q.conf import Conf
from django_q.models import Schedule

from ops.fingerprint import fingerprint_differences, settings_fingerprint
from ops.schedules import every_minute_ensure

HEARTBEAT_KEY = "grapherd:worker-heartbeat"
WORKER_SETTINGS_KEY = "grapherd:worker-settings"
HEARTBEAT_TASK = "ops.heartbeat.heartbeat"
HEARTBEAT_SCHEDULE = "grapherd worker heartbeat"


def heartbeat_cache() -> BaseCache:
    return caches[Conf.CACHE]


def heartbeat() -> str:
    """The task: record that a worker just ran a task, and the settings it runs with. Returns the time
    written."""
    now = timezone.now().isoformat()
    heartbeat_cache().set(HEARTBEAT_KEY, now, timeout=None)
    heartbeat_cache().set(WORKER_SETTINGS_KEY, settings_fingerprint(), timeout=None)
    return now


def worker_settings() -> dict[str, str] | None:
    """The settings fingerprint (ops.fingerprint) the worker recorded with its last heartbeat."""
    value = heartbeat_cache().get(WORKER_SETTINGS_KEY)
    return value if isinstance(value, dict) else None


def heartbeat_last() -> datetime | None:
    value = heartbeat_cache().get(HEARTBEAT_KEY)
    return parse_datetime(value) if isinstance(value, str) else None


def heartbeat_schedule_ensure() -> Schedule:
    """Create or repair the every-minute schedule; safe to call on every deploy (e.g. after migrate)."""
    return every_minute_ensure(HEARTBEAT_SCHEDULE, HEARTBEAT_TASK)


def worker_settings_differences() -> list[str]:
    """How this process's settings differ from those the worker recorded with its heartbeat (none when
    it recorded none): a shell without the server's environment reads other flow logs."""
    recorded = worker_settings()
    return fingerprint_differences(settings_fingerprint(), recorded) if recorded else []
