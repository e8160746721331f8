"""A digest job reports its stages as it goes: listing, reading files n/m with bytes, digesting, storing."""

from __future__ import annotations

from pathlib import Path

import pytest

from digests.engine.objects import FlowLogObject, FlowLogRef
from digests.models import Digest
from digests.piece_digest import files_counted
from digests.services import digest_run
from jobs.progress import JobProgress, progress_listening
from jobs.window import window_parse
from tests.flowlogs import write_flow_log

WINDOW = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")


@pytest.mark.django_db
def test_a_digest_build_reports_its_stages_in_order(flowlogs_dir: Path) -> None:
    write_flow_log(flowlogs_dir)
    heard: list[str] = []
    with progress_listening(heard.append):
        digest_run(WINDOW.job_id("digest"), WINDOW, requeue_on_failure=False)
    assert heard[0] == "listing flow logs"
    assert heard[-2:] == ["storing the digest", "connections"]
    assert Digest.objects.get(id=WINDOW.job_id("digest")).stage == ""  # cleared once done


@pytest.mark.django_db
def test_files_are_counted_with_their_bytes_as_the_engine_takes_them() -> None:
    heard: list[str] = []
    refs = [FlowLogRef(f"f{n}.log", 2_000_000, None) for n in range(3)]
    objects = [FlowLogObject(ref.key, b"x" * ref.size) for ref in refs]
    with progress_listening(heard.append):
        progress = JobProgress(Digest, "00000000-0000-0000-0000-000000000000", min_interval_s=0)
        assert list(files_counted(objects, refs, progress)) == objects
    assert heard == [
        "reading files 1/3, 2.0 MB of 6.0 MB",
        "reading files 2/3, 4.0 MB of 6.0 MB",
        "reading files 3/3, 6.0 MB of 6.0 MB",
        "digesting the records of 3 files",
    ]
