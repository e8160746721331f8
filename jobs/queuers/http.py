"""Queuer that POSTs the job message to a stream appliance (benthos in the Go deployment).

The appliance later POSTs the same message to the worker route `/{topic}/{event}`. Any 2xx counts as
queued: the Go service wanted exactly 200, which broke its own standalone mode (the worker answers 204).
"""

from __future__ import annotations

import json

import requests

from jobs.httpclient import TIMEOUT_SECONDS, shared_session
from jobs.ports import DependencyFailure
from jobs.window import Window


def queue_message(job_id: str, window: Window) -> bytes:
    """Compact JSON in the Go service's key order, no trailing newline."""
    body = {"id": job_id, "start": window.start.rfc3339nano(), "stop": window.stop.rfc3339nano()}
    return json.dumps(body, separators=(",", ":")).encode()


class HttpQueuer:
    def __init__(self, endpoint: str, session: requests.Session | None = None) -> None:
        self.endpoint = endpoint
        self.session = session or shared_session()

    def queue(self, job_id: str, window: Window, delay_s: float = 0.0) -> None:
        # delay_s is ignored: the appliance owns redelivery (it retries the worker route's 500s).
        try:
            response = self.session.post(
                self.endpoint,
                data=queue_message(job_id, window),
                headers={"Content-Type": "application/octet-stream"},
                timeout=TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise DependencyFailure("queuer", f"stream appliance unreachable: {error}") from error
        if not 200 <= response.status_code < 300:
            raise DependencyFailure(
                "queuer", f"unexpected response from streaming appliance: {response.status_code}"
            )
