"""`manage.py serve`: replaced at once by the Django-free supervisor (`python -m ops.supervisor`), so the
process that stays for the service's lifetime does not hold the application in memory."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ops.supervisor import BASE_DIR


class Command(BaseCommand):
    help = "Serve grapherd: gunicorn on RUNTIME_HTTPSERVER_ADDRESS (default :8080) plus the django-q2 worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--web-workers", type=int, default=1, help="gunicorn worker processes (default 1)"
        )
        parser.add_argument("--web-threads", type=int, default=4, help="threads per web worker (default 4)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.flush()
        os.chdir(BASE_DIR)
        command = [sys.executable, "-m", "ops.supervisor", "--web-workers", str(options["web_workers"])]
        command += ["--web-threads", str(options["web_threads"])]
        os.execv(sys.executable, command)  # noqa: S606  (a fixed command: this interpreter, our module)
