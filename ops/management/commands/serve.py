"""Run the web server and the django-q2 worker together: one foreground process tree, Ctrl-C stops both."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ops.config import config_get


class Command(BaseCommand):
    help = "Serve grapherd: gunicorn on RUNTIME_HTTPSERVER_ADDRESS (default :8080) plus the django-q2 worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--web-workers", type=int, default=2, help="gunicorn worker processes (default 2)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = config_get()
        bind = f"{config.http_host}:{config.http_port}"
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "grapherd_site.wsgi",
                    "--bind",
                    bind,
                    "--workers",
                    str(options["web_workers"]),
                    "--timeout",
                    "120",
                    "--access-logfile",
                    "-",
                ]
            ),
            subprocess.Popen([sys.executable, "manage.py", "qcluster"]),
        ]
        self.stdout.write(
            f"grapherd listening on http://{bind.replace('0.0.0.0', 'localhost')}/ (Ctrl-C stops)"
        )
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        if not stopping:
            raise CommandError("a child process exited; stopped the other one too")
