"""The graph page in headless Chromium: the SVG shows, search highlights, hover explains, zoom zooms."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client

from graphs.models import Graph
from jobs.models import JobStatus
from jobs.window import window_parse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "tests" / "artifacts" / "preview.png"
README_SCREENSHOT = ROOT / "graphs" / "static" / "graphs" / "screenshot.png"

FIRST, LAST = 1546300860, 1546300920  # 2019-01-01T00:01:00Z and 00:02:00Z
HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action"
    " log-status"
)
# A small VPC: web, app, cache and database tiers, outside clients (one also refused: a mixed edge) and
# a scanner that is refused.
FLOWS = [
    ("eni-0a1", "10.0.1.10", "10.0.2.20", "49152 443", 6, 120, 96000, "ACCEPT"),
    ("eni-0a1", "10.0.2.20", "10.0.1.10", "443 49152", 6, 110, 410000, "ACCEPT"),
    ("eni-0b2", "10.0.2.20", "10.0.3.30", "50100 5432", 6, 40, 8000, "ACCEPT"),
    ("eni-0c3", "10.0.3.30", "10.0.2.20", "5432 50100", 6, 38, 52000, "ACCEPT"),
    ("eni-0b2", "10.0.2.20", "10.0.4.40", "50200 6379", 6, 60, 4800, "ACCEPT"),
    ("eni-0a1", "203.0.113.9", "10.0.1.10", "61000 443", 6, 14, 2200, "ACCEPT"),
    ("eni-0a1", "203.0.113.77", "10.0.1.10", "61001 443", 6, 9, 1300, "ACCEPT"),
    ("eni-0a1", "203.0.113.9", "10.0.1.10", "61002 8443", 6, 2, 120, "REJECT"),
    ("eni-0a1", "198.51.100.7", "10.0.1.10", "51515 22", 6, 3, 180, "REJECT"),
    ("eni-0c3", "192.0.2.33", "10.0.3.30", "40000 5432", 6, 2, 120, "REJECT"),
    ("eni-0a1", "10.0.1.10", "10.0.0.2", "53000 53", 17, 4, 300, "ACCEPT"),
]


def write_flow_logs(folder: Path) -> None:
    lines = [
        f"2 123456789012 {eni} {src} {dst} {ports} {protocol} {packets} {size} {FIRST} {LAST} {action} OK"
        for eni, src, dst, ports, protocol, packets, size, action in FLOWS
    ]
    (folder / "flows.log").write_text("\n".join([HEADER, *lines]) + "\n")


def build_graph() -> Graph:
    """Request the window as the page does, then run its job as the worker does."""
    from graphs.services import graph_request, graph_run

    window = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")
    job_id = str(graph_request(window).id)
    graph_run(job_id, window)  # a no-op when the queued task already ran inline
    return Graph.objects.get(id=job_id)


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


def svg_transform(page: Any) -> str:
    return str(page.eval_on_selector("#graph-viewport svg", "svg => svg.style.transform"))


def test_the_graph_page_shows_the_svg_and_finds_zooms_and_explains(
    page: Any, live_server: Any, flowlogs_dir: Path
) -> None:
    write_flow_logs(flowlogs_dir)
    graph = build_graph()
    assert graph.status == JobStatus.DONE, graph.error
    assert not graph.svg_error

    page.goto(f"{live_server.url}/graphs/{graph.id}/")
    page.wait_for_selector("#graph-viewport svg g.node", state="visible")
    assert page.locator("#graph-viewport svg g.node").count() == graph.nodes
    # The picture merges the flows of one (source, destination) pair into one edge.
    assert page.locator("#graph-viewport svg g.edge").count() == len({(flow[1], flow[2]) for flow in FLOWS})
    assert page.locator("#graph-viewport svg script").count() == 0

    page.fill("#node-search-input", "10.0.2.20")
    page.press("#node-search-input", "Enter")
    found = page.locator("#graph-viewport g.node.node-found")
    assert found.count() == 1
    assert "10.0.2.20" in (found.text_content() or "")
    assert page.inner_text("#node-search-result") == "found 10.0.2.20"

    page.fill("#node-search-input", "10.0.0.9")
    page.press("#node-search-input", "Enter")
    assert page.inner_text("#node-search-result") == "no node 10.0.0.9"
    assert page.locator("#graph-viewport g.node.node-found").count() == 0

    page.click("[data-zoom=reset]")
    before = svg_transform(page)
    page.click("[data-zoom=in]")
    after = svg_transform(page)
    assert after != before
    assert "scale(" in after

    box = page.locator("#graph-viewport").bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.wheel(0, -300)
    zoomed = svg_transform(page)
    assert zoomed != after
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 90, steps=5)
    page.mouse.up()
    assert svg_transform(page) != zoomed  # dragged

    page.click("[data-zoom=reset]")
    rejected = _edge_to(page, "10.0.1.10", from_address="198.51.100.7")
    rejected.hover()
    details = page.inner_text("#edge-details")
    assert "22" in details
    assert "packets" in details.lower()
    assert page.locator("#graph-viewport g.edge.edge-hover").count() == 1

    page.fill("#node-search-input", "10.0.1.10")
    page.press("#node-search-input", "Enter")
    page.click("[data-zoom=reset]")
    _edge_to(page, "10.0.1.10", from_address="198.51.100.7").hover()
    _save_screenshot(page)
    assert page.problems == []


def test_a_graph_without_a_preview_offers_the_dot_in_the_browser(
    page: Any, live_server: Any, flowlogs_dir: Path, set_env: Any
) -> None:
    set_env(GRAPHERD_SVG_MAX_EDGES="2")
    write_flow_logs(flowlogs_dir)
    graph = build_graph()
    page.goto(f"{live_server.url}/graphs/{graph.id}/")
    assert page.locator("#svg-error").inner_text() == graph.svg_error
    link = page.locator("a", has_text="Download DOT").first
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"{graph.id}.dot"
    assert page.problems == []


def test_a_reader_without_admin_rights_logs_in_and_out_through_the_site_pages(
    visitor: Any, live_server: Any
) -> None:
    User.objects.create_user("reader", password="correct horse battery")
    visitor.goto(f"{live_server.url}/graphs/")
    assert visitor.url == f"{live_server.url}/accounts/login/?next=/graphs/"

    visitor.fill("#id_username", "reader")
    visitor.fill("#id_password", "correct horse battery")
    visitor.click("button:has-text('Log in')")
    visitor.wait_for_url(f"{live_server.url}/graphs/")
    assert visitor.inner_text("#request-title") == "Request a graph"
    assert visitor.inner_text(".who") == "reader"

    visitor.click("button:has-text('Log out')")
    assert visitor.inner_text("h1") == "Logged out"
    visitor.goto(f"{live_server.url}/graphs/")
    assert visitor.url.startswith(f"{live_server.url}/accounts/login/")
    assert visitor.problems == []


def _edge_to(page: Any, address: str, *, from_address: str) -> Any:
    """The arrowhead of the edge between two addresses: a filled shape, so hovering it hits the edge."""
    edge = page.locator("#graph-viewport g.edge").filter(
        has=page.locator("title", has_text=f"{from_address} → {address}\n")
    )
    return edge.first.locator("polygon").first


def _save_screenshot(page: Any) -> None:
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    if os.environ.get("GRAPHERD_UPDATE_SCREENSHOT") == "1":
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SCREENSHOT, README_SCREENSHOT)
