"""Run the web server and the django-q2 worker together: one foreground process tree, Ctrl-C stops both.

`python -m ops.supervisor` (what `make run` and `manage.py serve` start). It imports nothing of Django:
a supervisor that loaded the application would hold its memory for as long as the service runs, only
to start two children. It reads the listening address with the same typed reader the service uses.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from ops.env import config_read, data_dir_read

BASE_DIR = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 20


def children_commands(bind: str, web_workers: int, web_threads: int) -> list[list[str]]:
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "grapherd_site.wsgi",
        "--bind",
        bind,
        "--workers",
        str(web_workers),
    ]
    # Threads, not processes: each Django process holds ~70 MB, and requests mostly wait on I/O.
    gunicorn += ["--threads", str(web_threads), "--timeout", "120", "--access-logfile", "-"]
    # `manage.py qcluster` prepares the digest engine before the cluster takes work (digests' qcluster).
    return [gunicorn, [sys.executable, str(BASE_DIR / "manage.py"), "qcluster"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.supervisor", description=__doc__)
    parser.add_argument("--web-workers", type=int, default=1, help="gunicorn worker processes (default 1)")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per web worker (default 4)")
    args = parser.parse_args(argv)
    config, _ = config_read(os.environ, data_dir_read(os.environ, BASE_DIR))  # children report problems
    bind = f"{config.http_host}:{config.http_port}"
    children = [
        subprocess.Popen(command, cwd=BASE_DIR)
        for command in children_commands(bind, args.web_workers, args.web_threads)
    ]
    print(f"grapherd listening on http://{bind.replace('0.0.0.0', 'localhost')}/ (Ctrl-C stops)", flush=True)
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.5)
    _stop_all(children)
    if not stopping:
        print("a child process exited; stopped the other one too", file=sys.stderr)
        return 1
    return 0


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


if __name__ == "__main__":
    sys.exit(main())
