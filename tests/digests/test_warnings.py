"""A digest says why its window is empty: no file where the source looked, no record in the window,
every record skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from digests.engine.figures import DigestFigures
from digests.models import Digest
from digests.services import digest_run
from digests.warnings import digest_warnings
from jobs.window import window_parse
from tests.flowlogs import T0, write_flow_log

WINDOW = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")
DIGEST_ID = WINDOW.job_id("digest")


def built(window: Any = WINDOW) -> Digest:
    digest_run(window.job_id("digest"), window, requeue_on_failure=False)
    return Digest.objects.get(id=window.job_id("digest"))


@pytest.mark.django_db
def test_a_window_with_no_file_names_the_folder_it_listed(flowlogs_dir: Path) -> None:
    digest = built()
    assert (digest.status, digest.files) == ("done", 0)
    assert digest.warnings == [
        f"no flow-log file for this window under {flowlogs_dir}: check the flow-log bucket or folder, "
        "its prefix, accounts and regions"
    ]
    assert digest.complete is False and digest.rebuild_at is None  # 2019: long delivered


@pytest.mark.django_db
def test_a_prefix_that_does_not_match_the_files_names_the_prefix_it_looked_under(
    flowlogs_dir: Path, set_env: Any
) -> None:
    write_flow_log(flowlogs_dir / "prod")
    (flowlogs_dir / "staging").mkdir()
    set_env(VPC_FLOW_LOGS_PREFIX="staging")
    assert built().warnings[0].startswith(f"no flow-log file for this window under {flowlogs_dir}/staging:")


@pytest.mark.django_db
def test_files_with_no_record_in_the_window_say_so(flowlogs_dir: Path) -> None:
    late = f"2 123456789012 eni-0a1 10.0.1.10 10.0.2.20 49154 443 6 1 100 {T0 + 3600} {T0 + 3660} ACCEPT OK"
    write_flow_log(flowlogs_dir, records=[late])
    digest = built()
    assert digest.warnings == ["1 file read, but none of their 1 records starts in the window"]
    assert digest.complete is True  # files were found: the window is as complete as AWS made it


@pytest.mark.django_db
def test_records_all_skipped_are_counted_by_reason(flowlogs_dir: Path) -> None:
    nodata = f"2 123456789012 eni-0b2 - - - - - - - {T0 + 900} {T0 + 960} - NODATA"
    write_flow_log(flowlogs_dir, records=[nodata, "2 123456789012 eni-0a1 not enough fields"])
    assert built().warnings == [
        "all 2 records of 1 file were skipped: 1 with the wrong number of fields, "
        "1 with a log-status other than OK"
    ]


@pytest.mark.django_db
def test_a_window_with_records_has_no_warning(flowlogs_dir: Path) -> None:
    write_flow_log(flowlogs_dir)
    digest = built()
    assert (digest.warnings, digest.complete, digest.stage) == ([], True, "")


def test_object_names_that_are_not_flow_logs_are_mentioned_when_no_file_was_found() -> None:
    warnings = digest_warnings(DigestFigures(), ["s3://logs/AWSLogs/1/vpcflowlogs/eu-west-1/"], 3)
    assert warnings == [
        "no flow-log file for this window under s3://logs/AWSLogs/1/vpcflowlogs/eu-west-1/ (3 object "
        "names there are not AWS flow-log names): check the flow-log bucket or folder, its prefix, "
        "accounts and regions"
    ]


def test_files_without_any_record_are_told_apart_from_records_outside_the_window() -> None:
    assert digest_warnings(DigestFigures(files=2, bytes_read=60), ["/logs"], 0) == [
        "2 files read, but they hold no flow-log record"
    ]
