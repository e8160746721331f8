"""`graph_create --output`: a graph's stored DOT or SVG written to a file or to the command's stdout, and
the message that says why there is none to write (moved out of graphs/management/commands/graph_create.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from graphs.management.stdout import copy_to_stdout
from graphs.models import Graph
from graphs.selectors import graph_get
from graphs.services import SVG_SUFFIX, graph_artifact_open, graph_finishing
from jobs.models import JobStatus
from jobs.ports import DependencyFailure, NotFound


def artifact_output(
    graph_id: str, target: str, suffix: str, stdout: Any, progress: Callable[[str], None]
) -> None:
    """Write the graph's `suffix` file to `target` ('-': `stdout`); raises CommandError saying why not."""
    graph = graph_get(graph_id)
    try:
        # No row when another grapherd built it into a shared bucket; the id is all the store needs.
        handle = graph_artifact_open(graph or Graph(id=graph_id), suffix)
    except NotFound as error:
        raise CommandError(_missing(graph_id, graph, suffix)) from error
    except DependencyFailure as error:
        raise CommandError(f"could not read the graph: {error}") from error
    with handle:
        if target == "-":
            copy_to_stdout(handle, stdout)
        else:
            with Path(target).open("wb") as out:
                shutil.copyfileobj(handle, out)
            progress(f"wrote {target}")


def _missing(graph_id: str, graph: Graph | None, suffix: str) -> str:
    if graph is not None and graph.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        return f"graph {graph_id} is {graph.status}: add --wait to wait for it"
    if graph is not None and graph_finishing(graph):
        return f"graph {graph_id} is done and its worker is still on it ({graph.stage}): add --wait to wait for it"
    if graph is not None and suffix == SVG_SUFFIX and graph.svg_error:
        return f"graph {graph_id} has no SVG preview: {graph.svg_error}"
    return f"graph {graph_id} has no stored {suffix[1:].upper()}"
