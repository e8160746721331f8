"""`manage.py graph_create` and the running worker: it hands the job over when a worker is alive, builds
here with --here or when none is, says when its settings differ from the worker's, and reports the
graph's warnings and completeness."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from digests.models import Digest
from graphs.models import Graph
from jobs.window import window_parse
from ops.heartbeat import WORKER_SETTINGS_KEY, heartbeat, heartbeat_cache
from tests.flowlogs import write_flow_log

pytestmark = pytest.mark.django_db

START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"
WINDOW = window_parse(START, STOP)
GRAPH_ID = WINDOW.job_id("graph")


def run(*args: str) -> str:
    """The command's stderr, without the elapsed time in front of each line."""
    stderr = io.StringIO()
    call_command("graph_create", "--start", START, "--stop", STOP, *args, stdout=io.StringIO(), stderr=stderr)
    return "\n".join(line.split("] ", 1)[-1] for line in stderr.getvalue().splitlines())


@pytest.fixture
def worker_alive() -> None:
    heartbeat()  # as the worker's schedule runs it: the time and the worker's settings


def test_with_a_live_worker_wait_leaves_the_job_to_it(worker_alive: None) -> None:
    with pytest.raises(CommandError, match=f"gave up after 0.2 s: graph {GRAPH_ID} is still queued"):
        run("--wait", "--timeout", "0.2", "--poll", "0.05")
    assert Graph.objects.get(id=GRAPH_ID).attempts == 0


def test_here_builds_in_this_process_even_with_a_live_worker(worker_alive: None, flowlogs_dir: Path) -> None:
    write_flow_log(flowlogs_dir)
    err = run("--here")
    assert "running here (attempt 1)" in err
    assert "  listing flow logs" in err
    assert Graph.objects.get(id=GRAPH_ID).status == "done"


def test_without_a_worker_the_command_says_the_graph_waits_in_the_queue() -> None:
    err = run()
    assert "worker: not seen" in err
    assert "no worker is running: the graph waits in the queue (add --here to build it now)" in err


def test_settings_that_differ_from_the_workers_are_named(
    worker_alive: None, set_env: Callable[..., None], tmp_path: Path
) -> None:
    worker = heartbeat_cache().get(WORKER_SETTINGS_KEY)
    elsewhere = tmp_path / "elsewhere"
    set_env(VPC_FLOW_LOGS_PATH=str(elsewhere))  # a shell without the server's environment
    err = run()
    assert (
        "warning: this shell's settings differ from the worker's: flow-log source: "
        f"here {elsewhere}, worker {worker['flow-log source']}"
    ) in err
    assert "database:" not in err and "storage:" not in err


def test_a_window_with_no_file_is_reported_with_its_warning_and_as_incomplete(flowlogs_dir: Path) -> None:
    err = run("--wait")
    assert f"warning: no flow-log file for this window under {flowlogs_dir}" in err
    assert "incomplete: built from no flow-log file; the next request builds it again" in err


def test_rerun_reads_the_flow_logs_again_unless_asked_to_reuse_the_digest(flowlogs_dir: Path) -> None:
    write_flow_log(flowlogs_dir)
    run("--here")
    digest = Digest.objects.get(id=WINDOW.job_id("digest"))
    assert "queued again, reusing its digest" in run("--here", "--rerun", "--reuse-digest")
    assert Digest.objects.get(id=digest.id).finished_at == digest.finished_at
    assert "queued again, reading the flow logs again" in run("--here", "--rerun")
    assert Digest.objects.get(id=digest.id).finished_at != digest.finished_at
    assert Graph.objects.get(id=GRAPH_ID).attempts == 1  # each re-run starts its attempts anew
