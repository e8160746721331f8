"""`manage.py graph_create`: queue a window, or build it here with --wait, and write the DOT or SVG."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from graphs.flow import SVG_NOT_DRAWN
from graphs.models import Graph
from graphs.services import SVG_SUFFIX, graph_flow
from jobs.time_forms import USE
from jobs.window import window_parse
from tests.flowlogs import FLOW_LOG_TEXT
from tests.rows import job_row

pytestmark = pytest.mark.django_db

START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"
GRAPH_ID = window_parse(START, STOP).job_id("graph")
FLOW_LOG = FLOW_LOG_TEXT


class Run:
    """One `graph_create` call with its captured output."""

    def __init__(self, *args: str) -> None:
        self.stdout, self.stderr = io.StringIO(), io.StringIO()
        call_command(
            "graph_create", "--start", START, "--stop", STOP, *args, stdout=self.stdout, stderr=self.stderr
        )

    @property
    def out(self) -> str:
        return self.stdout.getvalue()

    @property
    def err(self) -> str:
        return self.stderr.getvalue()


@pytest.fixture
def flow_logs(flowlogs_dir: Path) -> Path:
    path = flowlogs_dir / "flows.log"
    path.write_text(FLOW_LOG)
    return path


def test_it_queues_the_graph_and_prints_its_id() -> None:
    run = Run()
    assert run.out == f"{GRAPH_ID}\n"
    assert "queued" in run.err
    assert Graph.objects.get(id=GRAPH_ID).status == "queued"


def test_wait_builds_the_graph_here_and_shows_its_progress(flow_logs: Path) -> None:
    run = Run("--wait")
    assert run.out == f"{GRAPH_ID}\n"
    stages = [line.split("] ", 1)[1] for line in run.err.splitlines()]
    assert stages[0] == "worker: not seen: no running django-q2 cluster and no heartbeat"
    assert stages[1:3] == ["queued", "running here (attempt 1)"]
    assert stages[3:5] == ["  digesting", "  listing flow logs"]  # then the files, from the engine's threads
    # The connection table comes before the SVG: the DOT and the table matter, the preview is a convenience.
    assert stages[-5:-1] == ["  connections", "  writing DOT", "  connections", "  rendering the SVG preview"]
    assert "done: 3 records" in stages[-1]
    graph = Graph.objects.get(id=GRAPH_ID)
    assert (graph.status, graph.records, graph.attempts) == ("done", 3, 1)


def test_wait_with_output_writes_the_dot_to_a_file(flow_logs: Path, tmp_path: Path) -> None:
    target = tmp_path / "graph.dot"
    run = Run("--wait", "--output", str(target))
    dot = target.read_text()
    assert dot.startswith("digraph {")
    assert "10.0.1.10" in dot
    assert len(dot.encode()) == Graph.objects.get(id=GRAPH_ID).dot_bytes
    assert f"wrote {target}" in run.err


def test_output_to_stdout_writes_the_svg_and_moves_the_id_to_stderr(flow_logs: Path) -> None:
    run = Run("--wait", "--output", "-", "--format", "svg")
    assert "<svg" in run.out
    assert GRAPH_ID not in run.out
    assert GRAPH_ID in run.err


def test_an_existing_graph_prints_its_id_and_still_writes_the_output(flow_logs: Path, tmp_path: Path) -> None:
    Run("--wait")
    target = tmp_path / "again.dot"
    run = Run("--output", str(target))
    assert run.out == f"{GRAPH_ID}\n"
    assert "already built" in run.err
    assert target.read_text().startswith("digraph {")
    assert Graph.objects.get(id=GRAPH_ID).attempts == 1  # not built twice


def test_output_without_wait_of_a_queued_graph_says_to_wait(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is queued: add --wait"):
        Run("--output", str(tmp_path / "graph.dot"))


def test_wait_on_a_graph_already_requested_builds_it(flow_logs: Path) -> None:
    Run()  # queued; no worker runs in this test
    run = Run("--wait")
    assert "already requested" in run.err
    assert Graph.objects.get(id=GRAPH_ID).status == "done"


def test_wait_gives_up_after_the_timeout_while_a_worker_holds_the_job() -> None:
    window = window_parse(START, STOP)
    job_row(
        Graph,
        window,
        status="running",
        attempts=1,
        started_at=timezone.now(),
    )
    with pytest.raises(CommandError, match=f"gave up after 0.2 s: graph {GRAPH_ID} is still running"):
        Run("--wait", "--timeout", "0.2", "--poll", "0.05")


def the_command_waits(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], object]) -> list[float]:
    """While the command sleeps between its polls, `meanwhile` happens (once): what a worker does."""
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        if not waits:
            meanwhile()
        waits.append(seconds)

    clock = SimpleNamespace(monotonic=time.monotonic, sleep=sleep)
    monkeypatch.setattr("graphs.management.commands.graph_create.time", clock)
    return waits


def test_wait_takes_over_a_graph_whose_worker_goes_silent_while_it_waits(
    flow_logs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker holds its lease when the command asks; the lease runs out while it waits; built here."""
    window = window_parse(START, STOP)
    now = timezone.now()
    lease = {"started_at": now, "lease_until": now + timedelta(minutes=1)}
    job_row(Graph, window, status="running", attempts=1, queued_at=now, **lease)
    goes_silent = lambda: Graph.objects.update(lease_until=now - timedelta(seconds=1))  # noqa: E731
    the_command_waits(monkeypatch, goes_silent)
    run = Run("--wait", "--timeout", "10", "--poll", "0.05")
    assert "already requested" in run.err
    assert "running on a worker (attempt 1)" in run.err
    assert "running here (attempt 2)" in run.err
    graph = Graph.objects.get(id=GRAPH_ID)
    assert (graph.status, graph.attempts) == ("done", 2)


def test_wait_for_the_svg_of_a_graph_whose_worker_is_still_drawing_it_waits_for_the_drawing(
    flow_logs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Run("--wait")
    svg = graph_flow().store().open(GRAPH_ID, SVG_SUFFIX).read()
    graph_flow().store().delete(GRAPH_ID, SVG_SUFFIX)
    # Done (its DOT stored), its worker drawing the preview.
    drawing = {"svg_error": SVG_NOT_DRAWN, "stage": "rendering the SVG preview", "svg_bytes": 0}
    Graph.objects.update(lease_until=timezone.now() + timedelta(minutes=1), **drawing)

    def drawn() -> None:
        graph_flow().store().save(GRAPH_ID, SVG_SUFFIX, io.BytesIO(svg))
        Graph.objects.update(lease_until=None, svg_error="", stage="", svg_bytes=len(svg))

    waits = the_command_waits(monkeypatch, drawn)
    run = Run("--wait", "--output", "-", "--format", "svg")
    assert len(waits) == 1
    assert "DOT stored, the worker goes on: rendering the SVG preview" in run.err
    assert run.out.encode() == svg


def test_an_invalid_time_fails_in_plain_words_naming_the_option() -> None:
    with pytest.raises(CommandError) as error:
        call_command("graph_create", "--start", "x", "--stop", STOP)
    assert str(error.value) == f'--start "x" is not a time; {USE}'
    assert not Graph.objects.exists()


def test_common_time_forms_queue_the_same_graph_as_rfc3339() -> None:
    out = io.StringIO()
    call_command(
        "graph_create",
        "--start",
        "2019-01-01 00:00",
        "--stop",
        "1546304400",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert out.getvalue().strip() == GRAPH_ID


def test_relative_times_queue_the_last_hour() -> None:
    call_command("graph_create", "--start=-1h", "--stop=now", stdout=io.StringIO(), stderr=io.StringIO())
    graph = Graph.objects.get()
    assert graph.stop - graph.start == timedelta(hours=1)


def test_an_empty_window_fails_before_anything_is_queued() -> None:
    with pytest.raises(CommandError, match="the window is empty after truncation"):
        call_command("graph_create", "--start", "2019-01-01T00:00:10Z", "--stop", "2019-01-01T00:00:50Z")
    assert not Graph.objects.exists()


def test_a_graph_that_fails_exits_non_zero_with_the_jobs_error(flowlogs_dir: Path) -> None:
    (flowlogs_dir / "broken.log.gz").write_bytes(b"\x1f\x8b\x08\x00 this is not gzip")
    with pytest.raises(CommandError, match=r"broken\.log\.gz") as error:
        Run("--wait")
    assert f"graph {GRAPH_ID} failed" in str(error.value)
    graph = Graph.objects.get(id=GRAPH_ID)
    assert graph.status == "failed"
    assert "broken.log.gz" in graph.error


def test_a_queue_that_cannot_be_reached_fails_the_command(set_env: Callable[..., None]) -> None:
    set_env(STREAM_APPLIANCE_ENDPOINT="http://127.0.0.1:9/queue")
    with pytest.raises(CommandError, match="could not queue the graph: queuer"):
        Run()


def test_help_explains_every_option_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        call_command("graph_create", "--help")
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for option in ("--start", "--stop", "--wait", "--output", "--format", "--poll", "--timeout"):
        assert option in text
    assert "manage.py graph_create --start 2019-01-01T00:00:00Z --stop 2019-01-01T01:00:00Z\n" in text
    assert "        --wait --output graph.dot" in text  # the epilog keeps its layout
