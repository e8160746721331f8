"""Digester client for a remote vpcflow-digesterd (or another grapherd's `/digests/`) (docs/go-services-behaviour.md §3.7).

POST the window (202 or 409 both mean "it is coming"), then poll GET: 200 is the gzip digest, 204 means
wait and poll again, anything else fails. A polling timeout <= 0 means no deadline, as the Go service's README
promised (its code failed at once instead).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from typing import IO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from jobs.httpclient import TIMEOUT_SECONDS, shared_session
from jobs.ports import DependencyFailure
from jobs.window import Window


def digester_url(endpoint: str, window: Window) -> str:
    parts = urlsplit(endpoint)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(start=window.start.rfc3339nano(), stop=window.stop.rfc3339nano())
    return urlunsplit(parts._replace(query=urlencode(sorted(query.items()))))


class HttpDigester:
    def __init__(
        self,
        endpoint: str,
        interval_ms: int,
        timeout_ms: int,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint
        self.interval = max(interval_ms, 0) / 1000
        self.timeout = timeout_ms / 1000 if timeout_ms > 0 else None
        self.session = session or shared_session()
        self.clock = clock
        self.sleep = sleep

    def digest(self, window: Window, into: IO[bytes], *, reuse: bool = True) -> None:
        # A remote digesterd cannot be told to read again: `reuse` does not apply (the Go protocol).
        url = digester_url(self.endpoint, window)
        response = self._call("POST", url, TIMEOUT_SECONDS)
        if response.status_code not in (202, 409):
            raise DependencyFailure(
                "digester",
                f"Received unexpected response from digester {response.status_code}: {_body(response)}",
            )
        self._poll(url, into)

    def _poll(self, url: str, into: IO[bytes]) -> None:
        deadline = None if self.timeout is None else self.clock() + self.timeout
        attempts = 0
        while True:
            remaining = None if deadline is None else deadline - self.clock()
            if remaining is not None and remaining <= 0:
                raise DependencyFailure(
                    "digester",
                    f"request time out reached after {attempts} attempt(s): context deadline exceeded",
                )
            attempts += 1
            response = self._call("GET", url, min(remaining or TIMEOUT_SECONDS, TIMEOUT_SECONDS), stream=True)
            if response.status_code == 200:
                with response:
                    _gunzip_into(response, into)
                return
            if response.status_code != 204:
                raise DependencyFailure(
                    "digester",
                    f"Received unexpected response while polling digester {response.status_code}: {_body(response)}",
                )
            wait = self.interval if deadline is None else min(self.interval, max(deadline - self.clock(), 0))
            self.sleep(wait)

    def _call(self, method: str, url: str, timeout: float, stream: bool = False) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=timeout, stream=stream)
        except requests.RequestException as error:
            raise DependencyFailure("digester", f"{method} {url}: {error}") from error


def _body(response: requests.Response) -> str:
    return response.text[:500]


def _gunzip_into(response: requests.Response, into: IO[bytes]) -> None:
    """Stream-decompress the (possibly multi-member) gzip body without holding it in memory."""
    chunks = response.iter_content(1 << 20)
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    seen = False
    try:
        for chunk in chunks:
            if not seen and chunk:
                seen = True
                if chunk[:2] != b"\x1f\x8b"[: len(chunk[:2])]:
                    raise DependencyFailure("digester", "digest is not valid gzip: gzip: invalid header")
            while chunk:
                into.write(inflater.decompress(chunk))
                chunk = inflater.unused_data
                if chunk:  # the next gzip member starts here
                    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        into.write(inflater.flush())
    except zlib.error as error:
        raise DependencyFailure("digester", f"digest is not valid gzip: {error}") from error
    except requests.RequestException as error:
        raise DependencyFailure("digester", f"reading the digest failed: {error}") from error
    if not seen:
        raise DependencyFailure("digester", "digest is not valid gzip: EOF")
    if not inflater.eof:
        raise DependencyFailure("digester", "digest is not valid gzip: unexpected EOF")
