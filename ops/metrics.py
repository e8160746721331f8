"""Request metrics in DogStatsD, configured by the Go runtime's RUNTIME_STATS_* variables.

The Go services only reported connection gauges and no request metrics at all. Here every request is
counted and timed, tagged with its route name, method and status. They are off unless configured
(RUNTIME_STATS_OUTPUT=DATADOG, or an agent in RUNTIME_STATS_DATADOG_ADDRESS), so a machine without an
agent logs no send errors. DogStatsD is UDP: nothing waits for, or fails on, a missing agent.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from datadog.dogstatsd import DogStatsd
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from ops.config import config_get


@functools.cache
def _client(host: str, port: int, tags: tuple[str, ...], flush_s: float, packet_size: int) -> DogStatsd:
    return DogStatsd(
        host=host,
        port=port,
        constant_tags=list(tags),
        disable_buffering=False,
        flush_interval=flush_s,
        max_buffer_len=packet_size,
        disable_telemetry=True,
        use_ms=True,
    )


def stats_client() -> DogStatsd | None:
    config = config_get()
    if config.stats_output != "DATADOG":
        return None
    return _client(
        config.stats_host,
        config.stats_port,
        config.stats_tags,
        config.stats_flush_s,
        config.stats_packet_size,
    )


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        client = stats_client()
        if client is not None:
            match = request.resolver_match
            tags = [
                f"route:{match.view_name if match else 'unmatched'}",
                f"method:{request.method}",
                f"status:{response.status_code}",
            ]
            client.increment("http.server.request", tags=tags)
            client.timing("http.server.request.duration", (time.perf_counter() - started) * 1000, tags=tags)
        return response
