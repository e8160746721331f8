"""Job rows as the job services write them, without running anything."""

from __future__ import annotations

from typing import Any, TypeVar

from jobs.models import Job
from jobs.window import Window

J = TypeVar("J", bound=Job)


def job_row(model: type[J], window: Window, **fields: Any) -> J:
    """The window's row: its UUIDv5 id (namespace = the model's name) and the texts the queue carries."""
    return model._default_manager.create(
        id=window.job_id(model._meta.model_name or ""),
        start=window.start.to_datetime(),
        stop=window.stop.to_datetime(),
        start_text=window.start.rfc3339nano(),
        stop_text=window.stop.rfc3339nano(),
        **fields,
    )
