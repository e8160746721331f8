"""System checks: every configuration problem is reported with the variable's name, before any request."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from grapherd_site.config import config_errors


@register("grapherd")
def grapherd_config_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [Error(message, id=f"grapherd.E{index:03d}") for index, message in enumerate(config_errors(), 1)]
