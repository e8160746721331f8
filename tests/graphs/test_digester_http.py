"""The digester client polling a remote digesterd (docs/go-services-behaviour.md §3.7, §5.5)."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable

import pytest

from graphs.digesters import digester
from graphs.digesters.http import HttpDigester, digester_url
from jobs.ports import DependencyFailure
from jobs.window import window_parse
from tests.httpstub import Answer, HttpStub

WINDOW = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")


def digest(stub: HttpStub, timeout_ms: int = 60_000, interval_ms: int = 0) -> bytes:
    out = io.BytesIO()
    HttpDigester(stub.url + "/", interval_ms, timeout_ms).digest(WINDOW, out)
    return out.getvalue()


def test_the_url_keeps_the_endpoints_query_and_sorts_keys() -> None:
    assert digester_url(
        "http://host/x?a=1", window_parse("2019-01-01T00:00:00+01:00", "2019-01-01T01:00:00+01:00")
    ) == ("http://host/x?a=1&start=2019-01-01T00%3A00%3A00%2B01%3A00&stop=2019-01-01T01%3A00%3A00%2B01%3A00")


def test_a_post_transport_error_fails() -> None:
    with pytest.raises(DependencyFailure):
        HttpDigester("http://127.0.0.1:9/", 0, 1000).digest(WINDOW, io.BytesIO())


def test_a_post_500_fails_with_the_go_services_message(http_stub: HttpStub) -> None:
    http_stub.script(*[Answer(500, b"boom")] * 4)
    with pytest.raises(DependencyFailure, match="Received unexpected response from digester 500: boom"):
        digest(http_stub)


def test_an_existing_digest_is_fetched_after_a_409(http_stub: HttpStub) -> None:
    http_stub.script(Answer(409), Answer(200, gzip.compress(b"this is a digest")))
    assert digest(http_stub) == b"this is a digest"


def test_a_get_500_fails(http_stub: HttpStub) -> None:
    http_stub.script(Answer(202), *[Answer(500)] * 4)
    with pytest.raises(DependencyFailure, match="Received unexpected response while polling digester 500"):
        digest(http_stub)


def test_a_404_while_polling_fails(http_stub: HttpStub) -> None:
    http_stub.script(Answer(202), Answer(404))
    with pytest.raises(DependencyFailure, match="polling digester 404"):
        digest(http_stub)


def test_204s_are_polled_until_the_digest_is_ready(http_stub: HttpStub) -> None:
    http_stub.script(
        Answer(409), Answer(204), Answer(204), Answer(200, gzip.compress(b"this is another digest"))
    )
    assert digest(http_stub) == b"this is another digest"
    assert [r.method for r in http_stub.requests] == ["POST", "GET", "GET", "GET"]


def test_the_deadline_ends_polling_with_the_go_services_message(http_stub: HttpStub) -> None:
    http_stub.default = Answer(204)
    http_stub.script(Answer(202))
    with pytest.raises(
        DependencyFailure, match=r"request time out reached after \d+ attempt\(s\): context deadline exceeded"
    ):
        digest(http_stub, timeout_ms=200, interval_ms=50)


def test_a_timeout_of_zero_or_less_means_no_deadline(http_stub: HttpStub) -> None:
    http_stub.script(Answer(202), *[Answer(204)] * 5, Answer(200, gzip.compress(b"late")))
    assert digest(http_stub, timeout_ms=-1) == b"late"


@pytest.mark.parametrize(("body", "message"), [(b"", "EOF"), (b"plain text", "invalid header")])
def test_a_body_that_is_not_gzip_fails(http_stub: HttpStub, body: bytes, message: str) -> None:
    http_stub.script(Answer(202), Answer(200, body))
    with pytest.raises(DependencyFailure, match=message):
        digest(http_stub)


def test_digester_token_is_sent_as_an_api_token_on_every_request(
    http_stub: HttpStub, set_env: Callable[..., None]
) -> None:
    set_env(DIGESTER_ENDPOINT=http_stub.url + "/", DIGESTER_TOKEN="remote-grapherd-token")
    http_stub.script(Answer(202), Answer(200, gzip.compress(b"a digest")))
    digester().digest(WINDOW, io.BytesIO())
    assert [request.headers["Authorization"] for request in http_stub.requests] == [
        "Token remote-grapherd-token"
    ] * 2


def test_without_digester_token_no_credentials_are_sent(http_stub: HttpStub) -> None:
    http_stub.script(Answer(202), Answer(200, gzip.compress(b"a digest")))
    digest(http_stub)
    assert all("Authorization" not in request.headers for request in http_stub.requests)
