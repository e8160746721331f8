"""The HTTP session used for the stream appliance and a remote digesterd.

The Go client meant to retry 500/502/503 three times with a 50 ms backoff but, through a wiring slip,
retried them without limit and never retried connection errors. Here both are capped at three retries.
"""

from __future__ import annotations

import functools

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRY_STATUSES = (500, 502, 503)
RETRIES = 3
BACKOFF_SECONDS = 0.05
TIMEOUT_SECONDS = 30.0


def http_session(retries: int = RETRIES) -> requests.Session:
    retry = Retry(
        total=retries,
        connect=retries,
        read=0,  # a request that reached the server may have had effects; don't resend it blind
        status=retries,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # POSTs are retried too, as in the Go client (the body is replayed)
        backoff_factor=BACKOFF_SECONDS,
        backoff_max=BACKOFF_SECONDS,
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@functools.cache
def shared_session() -> requests.Session:
    """One pooled session per process for the queuer and the digester client."""
    return http_session()
