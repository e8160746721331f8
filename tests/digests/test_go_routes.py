"""The built-in digesterd routes under `/digests/` (docs/go-services-behaviour.md §2.1, §5.1)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client

from digests.models import Digest
from tests.fakes import BrokenStorage, use_storage
from tests.flowlogs import write_flow_log

QUERY = "/digests/?start=2019-01-01T00:00:00Z&stop=2019-01-01T01:00:00Z"
DIGEST_ID = "9740a140-ba85-5600-8b93-7b46eec77617"
GO_LAYOUT = "2006-01-02T15:04:05.999999999Z07:00"

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "post"])
def test_bad_windows_are_400_with_gos_message(client: Client, method: str) -> None:
    response = getattr(client, method)("/digests/?start=invalid ts&stop=2019-01-01T01:00:00Z")
    assert response.status_code == 400
    assert response.json() == {
        "message": f'parsing time "invalid ts" as "{GO_LAYOUT}": cannot parse "invalid ts" as "2006"'
    }


def test_post_while_in_progress_is_a_409_naming_the_digest(client: Client) -> None:
    storages["digest-progress"].save(f"{DIGEST_ID}_in_progress", ContentFile(b"2999-01-01T00:00:00Z"))
    response = client.post(QUERY)
    assert response.status_code == 409
    assert response.json() == {"message": f"digest {DIGEST_ID} is being created"}


def test_post_when_the_digest_exists_is_a_409_with_digesterds_text(client: Client) -> None:
    storages["digests"].save(f"{DIGEST_ID}.log.gz", ContentFile(gzip.compress(b"")))
    response = client.post(QUERY)
    assert response.status_code == 409
    assert response.json() == {"message": f"digest {DIGEST_ID} already exists"}


def test_get_of_an_unknown_window_is_an_empty_404(client: Client) -> None:
    response = client.get(QUERY)
    assert (response.status_code, response.content) == (404, b"")


def test_get_streams_the_stored_gzip_unchanged(client: Client) -> None:
    stored = gzip.compress(b"this is the digest you're looking for")
    storages["digests"].save(f"{DIGEST_ID}.log.gz", ContentFile(stored))
    response = client.get(QUERY)
    assert response.status_code == 200
    assert response.getvalue() == stored
    assert response["Content-Type"] == "application/octet-stream"
    assert "Content-Encoding" not in response


def test_storage_errors_are_500(client: Client, settings: Any, tmp_path: Path) -> None:
    use_storage(settings, "digests", BrokenStorage, tmp_path)
    assert client.get(QUERY).status_code == 500
    assert client.post(QUERY).content == b'{"message":"Internal Server Error"}\n'


def test_post_queues_a_digest_job_and_marks_it(client: Client) -> None:
    assert client.post(QUERY).status_code == 202
    assert Digest.objects.get(id=DIGEST_ID).status == "queued"
    assert storages["digest-progress"].exists(f"{DIGEST_ID}_in_progress")
    assert client.get(QUERY).status_code == 204


def test_the_worker_route_hands_the_digest_to_the_worker_pool_which_builds_it(
    client: Client, flowlogs_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    write_flow_log(flowlogs_dir)
    body = f'{{"id":"{DIGEST_ID}","start":"2019-01-01T00:00:00Z","stop":"2019-01-01T01:00:00Z"}}'
    with django_capture_on_commit_callbacks(execute=True):  # the queued task runs inline (SYNC)
        response = client.post("/digests/digest/event", data=body, content_type="application/octet-stream")
    assert response.status_code == 204
    digest = Digest.objects.get(id=DIGEST_ID)
    assert (digest.status, digest.groups, digest.in_window) == ("done", 3, 4)
    assert client.get(QUERY).status_code == 200
