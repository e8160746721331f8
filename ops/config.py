"""The configuration as the running service sees it: parsed from `settings.GRAPHERD_ENV` once and
cached (tests change that mapping and call `config_reset`).

`config_get` refuses to hand out a configuration with errors, so a bad value stops the work with a
message naming the variable; the system checks (`ops.checks`) report the same problems at start-up.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ops.env import Config, config_read
from ops.env_reader import Problem


@functools.cache
def _cached(data_dir: str) -> tuple[Config, tuple[Problem, ...]]:
    config, problems = config_read(settings.GRAPHERD_ENV, Path(data_dir))
    return config, tuple(problems)


def config_problems() -> list[Problem]:
    return list(_cached(str(settings.DATA_DIR))[1])


def config_errors() -> list[str]:
    return [problem.message for problem in config_problems() if not problem.is_warning]


def config_get() -> Config:
    config, _ = _cached(str(settings.DATA_DIR))
    errors = config_errors()
    if errors:
        raise ImproperlyConfigured("; ".join(errors))
    return config


def config_reset() -> None:
    """Forget the parsed configuration (tests change the environment)."""
    _cached.cache_clear()


def stale_after(config: Config) -> timedelta:
    """A RUNNING job older than this was abandoned by a dead worker (django-q2 kills tasks at the timeout)."""
    return timedelta(seconds=config.task_timeout_s + 60)
