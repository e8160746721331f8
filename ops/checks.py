"""System checks: every configuration problem is reported with the variable's name and a stable id,
before any request (`manage.py check`, and at start-up of every command)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register

from ops.config import config_problems


@register("grapherd")
def grapherd_config_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    kinds = {True: Warning, False: Error}
    return [kinds[problem.is_warning](problem.message, id=problem.check_id) for problem in config_problems()]
