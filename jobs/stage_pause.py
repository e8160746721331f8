"""A test-only hook: stop a job at a named stage so that a fault test can kill its worker right there.

`GRAPHERD_TEST_PAUSE_AT` names one stage or several, comma-separated. The first job to reach a named
stage creates `paused-<stage>` in the data folder, holding its process id (the test waits for it), and
sleeps until its worker is killed; later jobs pass that stage, so five jobs started together stop at five
different stages. Unset, as in production, a stage costs one comparison.
"""

from __future__ import annotations

import os
import time

from ops.config import config_get

STAGES = ("listing", "digesting", "dot", "connections", "svg")
PAUSE_SECONDS = 3600.0


def stage_reached(stage: str) -> None:
    config = config_get()
    if stage not in config.test_pause_at.split(","):
        return
    try:
        with (config.data_dir / f"paused-{stage}").open("x") as flag:  # exclusive: one job per stage
            flag.write(str(os.getpid()))  # the worker process to kill
    except FileExistsError:
        return
    time.sleep(PAUSE_SECONDS)
