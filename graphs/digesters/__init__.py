"""Digesters, chosen by settings: the built-in one (`digests`), or a remote vpcflow-digesterd polled
over HTTP when `DIGESTER_ENDPOINT` is set (as the Go grapherd always did)."""

from __future__ import annotations

from graphs.digesters.base import Digester
from ops.config import config_get


def digester() -> Digester:
    config = config_get()
    if config.digester_endpoint:
        from graphs.digesters.http import HttpDigester

        interval, timeout = config.digester_polling_interval_ms, config.digester_polling_timeout_ms
        return HttpDigester(config.digester_endpoint, interval, timeout, token=config.digester_token)
    from graphs.digesters.builtin import BuiltinDigester

    return BuiltinDigester()
