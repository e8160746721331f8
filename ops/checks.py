"""System checks: every configuration problem is reported with the variable's name and a stable id,
before any request (`manage.py check`, and at start-up of every command)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from ops.config import config_problems
from ops.env import DEFAULT_SECRET_KEY

PUBLIC_SECRET_KEY = "grapherd.E016"  # noqa: S105  (a check id, not a secret)


@register("grapherd")
def grapherd_config_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    kinds = {True: Warning, False: Error}
    return [kinds[problem.is_warning](problem.message, id=problem.check_id) for problem in config_problems()]


@register("grapherd")
def secret_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The built-in key is in the source: anyone could forge sessions with it. It stands in only when
    SECRET_KEY is unset and the data folder cannot keep a generated key (`ops.secret_key`)."""
    if settings.DEBUG or settings.SECRET_KEY != DEFAULT_SECRET_KEY:
        return []
    message = (
        "SECRET_KEY is the public built-in key and DEBUG is off: set SECRET_KEY (50+ random characters), "
        f"or make the data folder {settings.DATA_DIR} writable so that a key is generated there."
    )
    return [Error(message, id=PUBLIC_SECRET_KEY)]
