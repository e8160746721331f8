"""Artifact storage and progress markers on S3 (moto) and local folders (docs/go-services-behaviour.md §5.3)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.core.files.storage import FileSystemStorage, Storage
from moto import mock_aws
from storages.backends.s3 import S3Storage

from jobs.artifacts import StorageArtifactStore
from jobs.markers import StorageMarker
from jobs.ports import DependencyFailure, NotFound
from tests.fakes import BrokenStorage

FIXED_NOW = 915152400.0  # 1999-01-01T01:00:00Z


@pytest.fixture(params=["s3", "local"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        yield FileSystemStorage(location=tmp_path / "store", allow_overwrite=True)
        return
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="foo_bucket")
        yield S3Storage(bucket_name="foo_bucket", region_name="us-east-1", file_overwrite=True)


def test_a_stored_graph_is_kept_byte_for_byte_and_read_back(storage: Storage) -> None:
    store = StorageArtifactStore(storage)
    assert store.save("foo_key", ".dot", io.BytesIO(b"this is a graph")) == len(b"this is a graph")
    assert store.exists("foo_key", ".dot")
    assert store.open("foo_key", ".dot").read() == b"this is a graph"


def test_storing_again_overwrites_instead_of_renaming(storage: Storage) -> None:
    store = StorageArtifactStore(storage)
    store.save("foo_key", ".dot", io.BytesIO(b"one"))
    store.save("foo_key", ".dot", io.BytesIO(b"two"))
    assert store.open("foo_key", ".dot").read() == b"two"


def test_a_missing_artifact_is_not_found_and_does_not_exist(storage: Storage) -> None:
    store = StorageArtifactStore(storage)
    assert not store.exists("foo_key", ".dot")
    with pytest.raises(NotFound):
        store.open("foo_key", ".dot")


def test_storage_errors_are_dependency_failures_not_not_found(tmp_path: Path) -> None:
    store = StorageArtifactStore(BrokenStorage(location=tmp_path))
    with pytest.raises(DependencyFailure):
        store.exists("foo_key", ".dot")
    with pytest.raises(DependencyFailure):
        store.open("foo_key", ".dot")
    with pytest.raises(DependencyFailure):
        store.save("foo_key", ".dot", io.BytesIO(b"x"))


def test_mark_writes_an_rfc3339nano_timestamp_under_the_in_progress_key(storage: Storage) -> None:
    StorageMarker(storage, 3_600_000, clock=lambda: FIXED_NOW).mark("foo_key")
    assert storage.open("foo_key_in_progress").read() == b"1999-01-01T01:00:00Z"


def test_a_marker_is_fresh_until_its_ttl_has_passed(storage: Storage) -> None:
    StorageMarker(storage, 3_600_000, clock=lambda: FIXED_NOW).mark("foo_key")
    assert StorageMarker(storage, 3_600_000, clock=lambda: FIXED_NOW + 3599).in_progress("foo_key")
    assert not StorageMarker(storage, 3_600_000, clock=lambda: FIXED_NOW + 3600).in_progress("foo_key")


def test_no_marker_or_an_unreadable_one_is_not_in_progress(storage: Storage) -> None:
    marker = StorageMarker(storage, 3_600_000)
    assert not marker.in_progress("foo_key")
    storage.save("foo_key_in_progress", io.BytesIO(b"garbage"))
    assert not marker.in_progress("foo_key")


def test_a_ttl_of_zero_or_less_never_counts_as_in_progress(storage: Storage) -> None:
    StorageMarker(storage, 0).mark("foo_key")
    assert not StorageMarker(storage, 0).in_progress("foo_key")
    assert not StorageMarker(storage, -5).in_progress("foo_key")


def test_unmark_deletes_the_marker_and_tolerates_its_absence(storage: Storage) -> None:
    marker = StorageMarker(storage, 3_600_000)
    marker.mark("foo_key")
    marker.unmark("foo_key")
    assert not storage.exists("foo_key_in_progress")
    marker.unmark("foo_key")


def test_marker_errors_are_dependency_failures(tmp_path: Path) -> None:
    marker = StorageMarker(BrokenStorage(location=tmp_path), 1000)
    for call in (marker.in_progress, marker.mark, marker.unmark):
        with pytest.raises(DependencyFailure):
            call("foo_key")


def test_a_local_artifact_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    storage = FileSystemStorage(location=tmp_path / "store", allow_overwrite=True)
    store = StorageArtifactStore(storage)
    store.save("foo_key", ".dot", io.BytesIO(b"old graph"))

    class Exploding(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() > 0:
                raise OSError("worker killed")
            return super().read(4)

    with pytest.raises(DependencyFailure):
        store.save("foo_key", ".dot", Exploding(b"new graph, longer"))
    assert store.open("foo_key", ".dot").read() == b"old graph"
