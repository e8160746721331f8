"""`manage.py qcluster`: django-q2's worker cluster, started only once the digest engine is ready.

It overrides django-q2's command of the same name (the digests app comes before django_q in
INSTALLED_APPS). Before the cluster takes work it
- removes the temporary folders that killed workers left behind (`ops.tempfiles`),
- re-queues the jobs whose worker died (`jobs.reaper`: a cluster killed and restarted picks its jobs
  up at once when their leases have run out; the reaper's schedules catch the others), and
- prepares the engine in a child process (`python -m digests.engine.warm`): numba compiles the kernel on
  the first start after an install and caches it, so no job ever pays the compile; the child exits, so
  the cluster's processes do not hold the engine's compiled stack while they wait for work.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from django.db import DatabaseError
from django_q.management.commands.qcluster import Command as DjangoQClusterCommand

from jobs.reaper import jobs_reap
from ops.supervisor import BASE_DIR
from ops.tempfiles import temp_folders_sweep


class Command(DjangoQClusterCommand):
    help = "Starts the worker cluster once the digest engine is compiled (django-q2's qcluster)."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = temp_folders_sweep()
        if removed:
            self.stdout.write(f"Removed {len(removed)} temporary folder(s) of stopped workers.")
        try:
            reaped = jobs_reap()
        except DatabaseError as error:  # the schedules reap once the database answers
            self.stderr.write(f"Could not look for the jobs of stopped workers: {error}")
            reaped = {}
        if any(reaped.values()):
            self.stdout.write(
                f"Jobs of stopped workers: {reaped['requeued']} queued again, {reaped['failed']} failed."
            )
        self.stdout.write("Preparing the digest engine (compiled on the first start after an install)…")
        begun = time.monotonic()
        warm = subprocess.run([sys.executable, "-m", "digests.engine.warm"], cwd=BASE_DIR, check=False)
        if warm.returncode != 0:  # the jobs will report the same error; graph jobs may not need the engine
            self.stderr.write("The digest engine could not be prepared; digest jobs will fail (see above).")
        else:
            self.stdout.write(f"Digest engine ready in {time.monotonic() - begun:.1f} s.")
        super().handle(*args, **options)
