"""Windows digested hour by hour (GRAPHERD_DIGEST_PARTIALS=hourly): the same bytes and connection tables as
one pass, whole hours reused by later windows, edges digested with the record filter."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from django.utils import timezone
from isal import igzip

from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX, RICH_SUFFIX
from digests.models import Digest
from digests.partials import Piece, window_pieces
from digests.services import digest_flow, digest_rerun, digest_run
from graphs.services import graph_flow, graph_run
from jobs.errors import JobFailed
from jobs.models import JobStatus
from jobs.window import Window, window_parse
from ops.env import config_read
from tests.flowlogs import HEADER, write_flow_log
from tests.vpcgen import vpc_generate

T0 = 1_546_300_800  # 2019-01-01T00:00:00Z
H = 3600
DAY = datetime(2019, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def hourly(set_env: Callable[..., None]) -> None:
    """Every window with a whole hour is built hour by hour (the default, `auto`, waits for stored hours)."""
    set_env(GRAPHERD_DIGEST_PARTIALS="hourly")


def test_a_window_is_cut_into_its_whole_hours_and_the_edges_around_them() -> None:
    assert window_pieces(T0 + 1800, T0 + 3 * H + 600) == [
        Piece(T0 + 1800, T0 + H),
        Piece(T0 + H, T0 + 2 * H),
        Piece(T0 + 2 * H, T0 + 3 * H),
        Piece(T0 + 3 * H, T0 + 3 * H + 600),
    ]
    assert window_pieces(T0, T0 + 2 * H) == [Piece(T0, T0 + H), Piece(T0 + H, T0 + 2 * H)]
    assert window_pieces(T0, T0 + H) == [Piece(T0, T0 + H)]  # one hour is one piece
    assert window_pieces(T0 + 1800, T0 + H + 1800) == [Piece(T0 + 1800, T0 + H + 1800)]  # no whole hour
    assert Piece(T0, T0 + H).window().job_id("digest") == window_parse(
        "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"
    ).job_id("digest")  # an hour's piece is the digest a request for that hour makes


def test_an_unknown_partials_setting_is_an_error_and_auto_stands_in() -> None:
    config, problems = config_read({"GRAPHERD_DIGEST_PARTIALS": "daily"}, Path("/data"))
    assert [(p.check_id, p.message) for p in problems] == [
        ("grapherd.E006", "GRAPHERD_DIGEST_PARTIALS='DAILY' must be one of AUTO, HOURLY, OFF.")
    ]
    assert config.digest_partials == "auto"
    assert config_read({"GRAPHERD_DIGEST_PARTIALS": "Off"}, Path("/data"))[0].digest_partials == "off"


def edge_records(root: Path) -> None:
    """Records whose file is named after the hour they start in: AWS names a file by its records' end."""
    records = [
        f"2 123456789012 eni-edge 10.9.0.1 10.9.0.2 40000 443 6 3 300 {T0 + H - 30} {T0 + H + 30} ACCEPT OK",
        f"2 123456789012 eni-edge 10.9.0.1 10.9.0.2 40001 443 6 5 500 {T0 + 2 * H - 5} {T0 + 2 * H + 50} ACCEPT OK",
        f"2 123456789012 eni-edge 10.9.0.1 10.9.0.2 40002 443 6 7 700 {T0 + 2 * H} {T0 + 2 * H + 50} REJECT OK",
    ]
    name = "123456789012_vpcflowlogs_us-east-1_fl-0edge_{}_e1.log.gz"
    write_flow_log(root, records[:1], name.format("20190101T0100Z"))
    write_flow_log(root, records[1:], name.format("20190101T0200Z"))


def digest_of(window: Window) -> bytes:
    with digest_flow().store().open(window.job_id("digest"), ".log.gz") as stored:
        return igzip.decompress(stored.read())


def table_of(window: Window, suffix: str) -> list[tuple[object, ...]]:
    with digest_flow().store().open(window.job_id("digest"), suffix) as stored:
        table = pl.read_parquet(io.BytesIO(stored.read()))
    return sorted(table.rows(), key=repr)


def built(window: Window) -> Digest:
    job = digest_run(window.job_id("digest"), window, requeue_on_failure=False)
    assert job is not None and job.status == JobStatus.DONE, job and job.error
    return Digest.objects.get(id=job.id)


def rebuilt_in_one_pass(window: Window, set_env: Callable[..., None]) -> Digest:
    Digest.objects.all().delete()
    set_env(GRAPHERD_DIGEST_PARTIALS="off")
    return built(window)


@pytest.mark.django_db
@pytest.mark.parametrize("fields", ["v2", "v5"])
def test_a_window_built_from_hours_and_edges_is_the_one_pass_digest_and_tables(
    flowlogs_dir: Path, set_env: Callable[..., None], fields: str
) -> None:
    vpc_generate(flowlogs_dir, DAY, 4, fields=fields)
    edge_records(flowlogs_dir)
    window = window_parse("2019-01-01T00:20:00Z", "2019-01-01T03:40:00Z")
    hourly = built(window)
    assert (hourly.partials, hourly.partials_reused) == (4, 0)  # 00:20-01, 01-02, 02-03, 03:00-03:40
    assert Digest.objects.count() == 3  # the window and its two whole hours, each a digest of its own
    digest = digest_of(window)
    tables = [table_of(window, suffix) for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX)]

    one_pass = rebuilt_in_one_pass(window, set_env)
    assert one_pass.partials == 1
    assert digest_of(window) == digest
    assert b"eni-edge" in digest
    assert [table_of(window, suffix) for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX)] == tables
    assert (hourly.in_window, hourly.groups, hourly.files, hourly.bytes_read) == (
        one_pass.in_window,
        one_pass.groups,
        one_pass.files,
        one_pass.bytes_read,
    )
    if fields == "v5":  # the rich records reach the fold through each hour's stored table
        hour = window_parse("2019-01-01T01:00:00Z", "2019-01-01T02:00:00Z")
        assert digest_flow().store().exists(hour.job_id("digest"), RICH_SUFFIX)


@pytest.mark.django_db
def test_a_day_after_its_hours_were_built_reuses_them_all_and_only_merges(
    flowlogs_dir: Path, set_env: Callable[..., None]
) -> None:
    vpc_generate(flowlogs_dir, DAY, 3)
    edge_records(flowlogs_dir)
    hours = [Piece(T0 + n * H, T0 + (n + 1) * H).window() for n in range(3)]
    for hour in hours:
        built(hour)
    finished = {row.id: row.finished_at for row in Digest.objects.all()}
    window = window_parse("2019-01-01T00:00:00Z", "2019-01-01T03:00:00Z")

    merged = built(window)
    assert (merged.partials, merged.partials_reused) == (3, 3)
    assert {row.id: row.finished_at for row in Digest.objects.exclude(id=merged.id)} == finished
    digest = digest_of(window)
    assert rebuilt_in_one_pass(window, set_env).in_window == merged.in_window
    assert digest_of(window) == digest


@pytest.mark.django_db
def test_an_hour_built_inside_the_delivery_delay_is_built_again_not_reused(flowlogs_dir: Path) -> None:
    vpc_generate(flowlogs_dir, DAY, 2)
    hours = [Piece(T0 + n * H, T0 + (n + 1) * H).window() for n in range(2)]
    for hour in hours:
        built(hour)
    late = hours[1].job_id("digest")  # as if built minutes after its end: files may still have arrived
    Digest.objects.filter(id=late).update(complete=False, rebuild_at=timezone.now())
    before = Digest.objects.get(id=late).finished_at

    merged = built(window_parse("2019-01-01T00:00:00Z", "2019-01-01T02:00:00Z"))
    assert (merged.partials, merged.partials_reused) == (2, 1)
    again = Digest.objects.get(id=late)
    assert again.complete
    assert again.finished_at is not None and before is not None and again.finished_at > before


@pytest.mark.django_db
def test_loose_files_are_digested_in_one_pass(flowlogs_dir: Path) -> None:
    flowlogs_dir.mkdir(parents=True, exist_ok=True)
    (flowlogs_dir / "export.log").write_text(
        f"{HEADER}\n2 1 eni-1 10.0.0.1 10.0.0.2 40000 443 6 1 10 {T0 + 100} {T0 + 160} ACCEPT OK\n"
    )
    digest = built(window_parse("2019-01-01T00:00:00Z", "2019-01-01T03:00:00Z"))
    assert (digest.partials, digest.in_window) == (1, 1)
    assert Digest.objects.count() == 1


@pytest.mark.django_db
def test_an_hour_that_cannot_be_read_fails_the_window_naming_the_object(flowlogs_dir: Path) -> None:
    vpc_generate(flowlogs_dir, DAY, 3)
    broken = next(flowlogs_dir.rglob("*20190101T0130Z*.log.gz"))
    broken.write_bytes(broken.read_bytes()[:100])  # truncated gzip
    window = window_parse("2019-01-01T00:00:00Z", "2019-01-01T03:00:00Z")
    with pytest.raises(JobFailed, match=broken.name):
        digest_run(window.job_id("digest"), window, requeue_on_failure=False)
    hour = Piece(T0 + H, T0 + 2 * H).window()
    assert Digest.objects.get(id=hour.job_id("digest")).status == JobStatus.FAILED
    assert Digest.objects.get(id=window.job_id("digest")).status == JobStatus.FAILED


@pytest.mark.django_db
def test_a_rerun_of_a_window_reads_every_hour_again(flowlogs_dir: Path) -> None:
    vpc_generate(flowlogs_dir, DAY, 2)
    window = window_parse("2019-01-01T00:00:00Z", "2019-01-01T02:00:00Z")
    first = built(window)
    assert (first.partials, first.partials_reused) == (2, 0)
    hours = Digest.objects.exclude(id=first.id)
    finished = {row.id: row.finished_at for row in hours}

    digest_rerun(Digest.objects.get(id=first.id))
    again = built(window)
    assert (again.partials, again.partials_reused, again.reread) == (2, 0, False)
    assert all(row.finished_at != finished[row.id] for row in hours.all())


@pytest.mark.django_db
def test_an_hour_built_for_a_longer_window_leaves_its_fold_to_a_graph_that_keeps_its_rich_fields(
    flowlogs_dir: Path,
) -> None:
    vpc_generate(flowlogs_dir, DAY, 2, fields="v5")
    built(window_parse("2019-01-01T00:00:00Z", "2019-01-01T02:00:00Z"))
    hour = Piece(T0, T0 + H).window()
    piece = Digest.objects.get(id=hour.job_id("digest"))
    assert piece.piece and not digest_flow().store().exists(str(piece.id), CONNECTIONS_SUFFIX)

    graph = graph_run(hour.job_id("graph"), hour, requeue_on_failure=False)
    assert graph is not None and graph.status == JobStatus.DONE
    tables = [graph_table(hour, suffix) for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX)]
    Digest.objects.all().delete()
    assert built(hour).connections > 0  # the hour on its own: folded from its records, rich fields and all
    assert [table_of(hour, suffix) for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX)] == tables
    assert any(row[-1] for row in tables[1])  # the hosts' instance ids came through


def graph_table(window: Window, suffix: str) -> list[tuple[object, ...]]:
    with graph_flow().store().open(window.job_id("graph"), suffix) as stored:
        return sorted(pl.read_parquet(io.BytesIO(stored.read())).rows(), key=repr)


@pytest.mark.django_db
def test_auto_reads_a_window_in_one_pass_until_half_its_hours_are_stored(
    flowlogs_dir: Path, set_env: Callable[..., None]
) -> None:
    set_env(GRAPHERD_DIGEST_PARTIALS="auto")
    vpc_generate(flowlogs_dir, DAY, 4)
    window = window_parse("2019-01-01T00:00:00Z", "2019-01-01T04:00:00Z")
    hours = [Piece(T0 + n * H, T0 + (n + 1) * H).window() for n in range(4)]
    built(hours[0])
    assert built(window).partials == 1  # one hour of four stored: one pass
    one_pass = digest_of(window)

    Digest.objects.filter(id=window.job_id("digest")).delete()
    built(hours[2])
    merged = built(window)  # two of four stored: the other two are built, the four merged
    assert (merged.partials, merged.partials_reused) == (4, 2)
    assert digest_of(window) == one_pass

    digest_rerun(merged)  # a re-run reads everything again, in one pass
    assert built(window).partials == 1


@pytest.mark.django_db
def test_a_window_waits_for_a_stored_hour_whose_worker_is_still_writing_its_rich_records(
    flowlogs_dir: Path, set_env: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    vpc_generate(flowlogs_dir, DAY, 2, fields="v5")
    window = window_parse("2019-01-01T00:00:00Z", "2019-01-01T02:00:00Z")
    hours = [Piece(T0 + n * H, T0 + (n + 1) * H).window().job_id("digest") for n in range(2)]
    built(window)
    tables = [table_of(window, suffix) for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX)]
    Digest.objects.filter(id=window.job_id("digest")).delete()
    # The second hour as its worker leaves it between the text and the rich records: done, lease held.
    store, folder = digest_flow().store(), flowlogs_dir.parent
    with store.open(hours[1], RICH_SUFFIX) as rich:
        (folder / "rich.parquet").write_bytes(rich.read())
    store.delete(hours[1], RICH_SUFFIX)
    Digest.objects.filter(id=hours[1]).update(lease_until=timezone.now() + timedelta(minutes=5))
    waits: list[float] = []

    def the_hours_worker_ends(seconds: float) -> None:  # while the window's job waits, the worker ends
        waits.append(seconds)
        with (folder / "rich.parquet").open("rb") as rich:
            store.save(hours[1], RICH_SUFFIX, rich)
        Digest.objects.filter(id=hours[1]).update(lease_until=None)

    monkeypatch.setattr("digests.partials.time", SimpleNamespace(sleep=the_hours_worker_ends))
    merged = built(window)
    assert (merged.partials, merged.partials_reused, len(waits)) == (2, 2, 1)
    assert [table_of(window, suffix) for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX)] == tables
