"""Digest jobs, the built-in vpcflow-digesterd: list and fetch the window's flow logs, digest them with
the engine, store `<id>.log.gz`."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from django.utils import timezone
from isal import igzip

from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX, connections_build
from digests.engine.objects import FlowLogObject, FlowLogReadError, FlowLogRef
from digests.models import Digest
from digests.rich import RichCopies
from digests.sources import flow_log_source
from digests.warnings import digest_warnings
from jobs.completeness import completeness_values
from jobs.flow import JobFlow
from jobs.models import Job
from jobs.progress import JobProgress, megabytes
from jobs.stage_pause import stage_reached
from jobs.window import Window
from ops.config import config_get
from ops.tempfiles import temp_folder


class DigestFlow(JobFlow):
    namespace = "digest"
    model = Digest
    suffix = ".log.gz"
    shown_errors = (FlowLogReadError,)  # names the object that could not be read
    store_alias = "digests"
    marker_alias = "digest-progress"
    task = "digests.tasks.digest_run_task"

    def progress_timeout_ms(self) -> int:
        return config_get().digest_progress_timeout_ms

    def exists_message(self, job_id: str, window: Window) -> str:
        return f"digest {job_id} already exists"

    def build(self, job: Job, window: Window) -> dict[str, Any]:
        # The engines' stacks (numba, polars, pyarrow, duckdb) load here, in the worker, never in the web
        # processes: `digests.engines` is imported by nothing else the web tier loads.
        from digests.engines import digest_engine
        from digests.engines.base import EngineInput

        engine = digest_engine()
        progress = JobProgress(Digest, str(job.id))
        progress.stage("listing flow logs")
        built_at = timezone.now()  # what was delivered by now is what this digest can hold
        source = flow_log_source()
        stage_reached("listing")
        refs = list(source.list(window.start.to_datetime(), window.stop.to_datetime()))
        start, stop = window.start.epoch_seconds, window.stop.epoch_seconds
        counted = functools.partial(files_counted, refs=refs, progress=progress)
        with temp_folder() as folder:
            (folder / "rich").mkdir()
            rich = RichCopies(folder / "rich")
            digest_path = folder / "digest.log.gz"
            stage_reached("digesting")
            with digest_path.open("w+b") as stored:
                # ISA-L's gzip writes the same format several times faster than zlib at a similar ratio.
                with igzip.GzipFile(fileobj=stored, mode="wb", compresslevel=2, mtime=0) as text:
                    given = EngineInput(source, refs, start, stop, watch=counted)
                    run = engine.digest(given, cast(BinaryIO, text), rich)
                    figures = run.figures
                progress.stage("storing the digest")
                size = self.store().save(str(job.id), self.suffix, stored)
            found = completeness_values(window.stop.to_datetime(), built_at, found_files=figures.files > 0)
            digest = {
                "warnings": digest_warnings(figures, source.listed_prefixes, len(source.skipped_keys)),
                **found,
                "files": figures.files,
                "bytes_read": figures.bytes_read,
                "records": figures.records,
                "in_window": figures.in_window,
                "groups": figures.groups,
                "skipped": figures.skipped,
                "skipped_keys": len(source.skipped_keys),
                "digest_bytes": size,
                "engine": engine.name,
                "engine_figures": run.extra,
            }
            # Stored, the digest is done (the Go routes serve it); graphs fold the text into connections
            # themselves when the table below is missing.
            self.artifact_stored(job, digest)
            progress.stage("connections")
            connections = self.connections_store(str(job.id), digest_path, folder, rich, (start, stop))
        return {"stage": "", **digest, "connections": connections}

    def connections_store(
        self, job_id: str, digest_path: Path, folder: Path, rich: RichCopies, window: tuple[int, int]
    ) -> int:
        """The window's connection table and hosts (digests.connections), from the digest and the rich
        records, stored beside the digest for the graphs of the window."""
        paths = folder / "connections.parquet", folder / "hosts.parquet"
        figures = connections_build(digest_path, *paths, rich=rich, window=window)
        for path, suffix in zip(paths, (CONNECTIONS_SUFFIX, HOSTS_SUFFIX), strict=True):
            with path.open("rb") as content:
                self.store().save(job_id, suffix, content)
        return figures.connections


def files_counted(
    objects: Iterable[FlowLogObject], refs: list[FlowLogRef], progress: JobProgress
) -> Iterator[FlowLogObject]:
    """Passes the objects on to the engine, reporting "reading files n/m" as it takes each one."""
    total = sum(ref.size for ref in refs)
    read = 0
    for number, flow_log in enumerate(objects, start=1):
        read += len(flow_log.data)
        text = f"reading files {number}/{len(refs)}, {megabytes(read)} of {megabytes(total)}"
        progress.stage(text, new=number == 1)  # the first file at once, then at most twice a second
        yield flow_log
    progress.stage(f"digesting the records of {len(refs)} files")
