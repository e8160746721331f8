"""Fixtures of the graph tests: `graph`, the small VPC's window built; and browser fixtures for the page
tests (test_browser.py, test_explorer_browser.py): Debian's Chromium, headless, driven by Playwright;
pages that collect console errors (a CSP violation is one)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from django.test import Client

from graphs.models import Graph
from jobs.models import JobStatus
from ops.heartbeat import heartbeat
from tests.graphs.small_vpc import build_graph, write_flow_logs

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # The explorer draws with WebGL: in software (SwiftShader), which recent Chromium only allows when asked.
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def graph(flowlogs_dir: Path) -> Graph:
    write_flow_logs(flowlogs_dir)
    built = build_graph()
    assert built.status == JobStatus.DONE, built.error
    return built


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}; install the chromium package to run the browser tests")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            # While that loop runs, Django keeps this thread's connections apart from the usual ones
            # (asgiref's Local follows the loop's context), so pytest-django never closes them: left
            # open, they keep the test database from being dropped at the end of the run.
            connections.close_all()
            chromium.close()


@pytest.fixture
def visitor(browser: Any) -> Iterator[Any]:
    """A page without a session, which keeps the console errors and uncaught exceptions it sees."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    page.problems = []  # a CSP violation is a console error
    page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def page(visitor: Any, live_server: Any) -> Any:
    """A logged-in page: the session cookie of a force-logged-in superuser."""
    client = Client()
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", "not-used"))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    visitor.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return visitor


@pytest.fixture
def shared_cache(settings: Any) -> None:
    """The database cache the worker's heartbeat goes to, as `make run` sets it up: no worker has beaten."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "grapherd_cache"}
    }
    call_command("createcachetable", verbosity=0)


@pytest.fixture
def worker_alive(shared_cache: None) -> None:
    heartbeat()  # as the worker's every-minute schedule writes it
