"""LocalFolderSource: AWS layouts copied into a folder, and loose files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digests.engine.objects import FlowLogReadError, FlowLogRef
from digests.sources.delivery import DeliveryLayout, FlowLogName, key_build, name_parse
from digests.sources.local import LocalFolderSource

START = datetime(2019, 1, 1, 0, 0, tzinfo=UTC)
STOP = datetime(2019, 1, 1, 1, 0, tzinfo=UTC)


def aws_name(stamp: str, region: str = "us-east-1") -> FlowLogName:
    name = name_parse(f"123456789012_vpcflowlogs_{region}_fl-1_{stamp}_abcd1234.log.gz")
    assert name is not None
    return name


def put(root: Path, key: str, data: bytes = b"x") -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def keys(source: LocalFolderSource, start: datetime = START, stop: datetime = STOP) -> list[str]:
    return [ref.key for ref in source.list(start, stop)]


@pytest.mark.parametrize("layout", list(DeliveryLayout))
def test_aws_named_files_are_chosen_by_the_time_in_their_name_in_every_layout(
    tmp_path: Path, layout: DeliveryLayout
) -> None:
    inside = key_build(layout, aws_name("20190101T0030Z"))
    late = key_build(layout, aws_name("20190101T0115Z"))  # after stop, within the slack
    early = key_build(layout, aws_name("20181231T2350Z"))  # before start, within the slack, previous day
    far = key_build(layout, aws_name("20190101T0300Z"))
    for key in (inside, late, early, far):
        put(tmp_path, key)
    assert keys(LocalFolderSource(tmp_path)) == sorted([inside, late, early])


def test_loose_files_of_any_name_are_always_included(tmp_path: Path) -> None:
    for key in ("a.log", "deep/er/b.log.gz", "c.gz", "d.parquet", "e.txt", "f.csv", "g.json"):
        put(tmp_path, key)
    refs = list(LocalFolderSource(tmp_path).list(START, STOP))
    assert [ref.key for ref in refs] == ["a.log", "c.gz", "d.parquet", "deep/er/b.log.gz", "e.txt"]
    assert all(ref.timestamp is None for ref in refs)
    assert all(ref.size == 1 for ref in refs)


def test_hidden_files_hidden_folders_readmes_and_empty_files_are_ignored(tmp_path: Path) -> None:
    put(tmp_path, ".hidden.log")
    put(tmp_path, ".git/objects/x.log")
    put(tmp_path, "README.txt")
    put(tmp_path, "empty.log", b"")
    put(tmp_path, "kept.log")
    assert keys(LocalFolderSource(tmp_path)) == ["kept.log"]


def test_the_prefix_limits_the_walk_and_keys_stay_relative_to_the_root(tmp_path: Path) -> None:
    put(tmp_path, "one/a.log")
    put(tmp_path, "two/b.log")
    assert keys(LocalFolderSource(tmp_path, prefix="/two/")) == ["two/b.log"]


def test_refs_carry_the_timestamp_and_size_and_read_returns_the_stored_bytes(tmp_path: Path) -> None:
    key = key_build(DeliveryLayout.DEFAULT, aws_name("20190101T0005Z"))
    put(tmp_path, key, b"\x1f\x8bstored bytes")
    source = LocalFolderSource(tmp_path)
    [ref] = source.list(START, STOP)
    assert ref == FlowLogRef(key, 14, datetime(2019, 1, 1, 0, 5, tzinfo=UTC))
    assert source.read(ref) == b"\x1f\x8bstored bytes"
    assert source.skipped_keys == []


def test_a_missing_file_raises_a_read_error_naming_its_path(tmp_path: Path) -> None:
    source = LocalFolderSource(tmp_path)
    with pytest.raises(FlowLogReadError) as raised:
        source.read(FlowLogRef("gone/x.log.gz", 10, None))
    assert raised.value.key == str(tmp_path / "gone" / "x.log.gz")
    assert "not found" in raised.value.reason


def test_an_unreadable_file_raises_a_read_error_naming_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(tmp_path, "locked.log")

    def denied(self: Path) -> bytes:  # chmod 0 does not stop root, who may run the tests
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(FlowLogReadError, match=r"locked\.log: permission denied"):
        LocalFolderSource(tmp_path).read(FlowLogRef("locked.log", 1, None))


def test_a_key_leading_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FlowLogReadError, match="outside"):
        LocalFolderSource(tmp_path / "in").read(FlowLogRef("../secret.log", 1, None))


def test_a_missing_folder_is_a_read_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FlowLogReadError) as raised:
        list(LocalFolderSource(tmp_path / "nope").list(START, STOP))
    assert raised.value.key == str(tmp_path / "nope")


def test_an_empty_window_lists_nothing(tmp_path: Path) -> None:
    put(tmp_path, "a.log")
    assert keys(LocalFolderSource(tmp_path), STOP, START) == []


@pytest.mark.parametrize(
    "folder",
    [
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2019/02/01",
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2017",
        "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2019/month=03",
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2019/01/01/09",
    ],
)
def test_date_folders_outside_the_window_are_not_walked(tmp_path: Path, folder: str) -> None:
    put(tmp_path, f"{folder}/stray.log")  # a loose name: it would be listed if its folder were walked
    put(tmp_path, "AWSLogs/123456789012/vpcflowlogs/us-east-1/2019/01/01/00/inside.log")
    assert keys(LocalFolderSource(tmp_path)) == [
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2019/01/01/00/inside.log"
    ]


def test_folders_that_are_not_aws_dates_are_always_walked(tmp_path: Path) -> None:
    put(tmp_path, "AWSLogs/123456789012/vpcflowlogs/us-east-1/archive/old.log")
    put(tmp_path, "exports/2018/old.log")
    assert keys(LocalFolderSource(tmp_path)) == [
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/archive/old.log",
        "exports/2018/old.log",
    ]
