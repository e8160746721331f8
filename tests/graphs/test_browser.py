"""The classic SVG page (`/graphs/<id>/svg-preview`) in headless Chromium: the SVG shows, search
highlights, hover explains, zoom zooms; and the site's login pages. The explorer: test_explorer_browser.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from jobs.models import JobStatus
from tests.graphs.small_vpc import FLOWS, build_graph, write_flow_logs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "tests" / "artifacts" / "preview.png"
README_SCREENSHOT = ROOT / "graphs" / "static" / "graphs" / "screenshot.png"


def svg_transform(page: Any) -> str:
    return str(page.eval_on_selector("#graph-viewport svg", "svg => svg.style.transform"))


def test_the_graph_page_shows_the_svg_and_finds_zooms_and_explains(
    page: Any, live_server: Any, flowlogs_dir: Path
) -> None:
    write_flow_logs(flowlogs_dir)
    graph = build_graph()
    assert graph.status == JobStatus.DONE, graph.error
    assert not graph.svg_error

    page.goto(f"{live_server.url}/graphs/{graph.id}/svg-preview")
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
    page.goto(f"{live_server.url}/graphs/{graph.id}/svg-preview")
    assert page.locator("#svg-error").inner_text() == graph.svg_error
    link = page.locator("a", has_text="Download DOT").first
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "graph_2019-01-01T0000Z_2019-01-01T0100Z.dot"
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
