"""A test-only hook: stop a job at a named stage so that a fault test can kill its worker right there.

With `GRAPHERD_TEST_PAUSE_AT=<stage>` a job reaching that stage writes `paused-<stage>` into the data
folder (the test waits for it) and then sleeps until its worker is killed. Unset, as in production, a
stage costs one attribute read.
"""

from __future__ import annotations

import time

from ops.config import config_get

STAGES = ("listing", "digesting", "dot", "connections", "svg")
PAUSE_SECONDS = 3600.0


def stage_reached(stage: str) -> None:
    config = config_get()
    if config.test_pause_at != stage:
        return
    (config.data_dir / f"paused-{stage}").write_text(stage)
    time.sleep(PAUSE_SECONDS)
