"""The stream-appliance queuer (docs/go-services-behaviour.md §2.8, §4, §5.4)."""

from __future__ import annotations

import pytest

from jobs.ports import DependencyFailure
from jobs.queuers.http import HttpQueuer
from jobs.window import window_parse
from tests.httpstub import Answer, HttpStub

WINDOW = window_parse("2019-01-01T00:00:00+05:30", "2019-01-01T01:00:00+05:30")


def test_posts_the_compact_message_to_the_endpoint_verbatim(http_stub: HttpStub) -> None:
    HttpQueuer(http_stub.url + "/some/path?x=1").queue("the-id", WINDOW)
    request = http_stub.requests[0]
    assert (request.method, request.path) == ("POST", "/some/path?x=1")
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert request.body == (
        b'{"id":"the-id","start":"2019-01-01T00:00:00+05:30","stop":"2019-01-01T01:00:00+05:30"}'
    )


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_counts_as_queued(http_stub: HttpStub, status: int) -> None:
    http_stub.script(Answer(status))
    HttpQueuer(http_stub.url).queue("the-id", WINDOW)


def test_other_statuses_fail_with_the_go_services_message(http_stub: HttpStub) -> None:
    http_stub.script(Answer(404))
    with pytest.raises(DependencyFailure, match="unexpected response from streaming appliance: 404"):
        HttpQueuer(http_stub.url).queue("the-id", WINDOW)


def test_500s_are_retried_three_times_then_fail(http_stub: HttpStub) -> None:
    http_stub.script(*[Answer(503)] * 4)
    with pytest.raises(DependencyFailure, match="503"):
        HttpQueuer(http_stub.url).queue("the-id", WINDOW)
    assert len(http_stub.requests) == 4


def test_a_retried_500_that_then_succeeds_is_queued(http_stub: HttpStub) -> None:
    http_stub.script(Answer(500), Answer(502), Answer(200))
    HttpQueuer(http_stub.url).queue("the-id", WINDOW)
    assert len(http_stub.requests) == 3


def test_an_unreachable_appliance_is_a_dependency_failure() -> None:
    with pytest.raises(DependencyFailure, match="unreachable"):
        HttpQueuer("http://127.0.0.1:9/").queue("the-id", WINDOW)
