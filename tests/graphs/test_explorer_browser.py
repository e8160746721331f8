"""The graph explorer (`/graphs/<id>/`) in headless Chromium with software WebGL: it draws what the API
answers, opens groups, focuses hosts, reads its state from the URL, explains edges, and follows a job."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from django_q.conf import Conf
from playwright.sync_api import expect
from rest_framework.test import APIClient

from graphs.models import Graph
from tests.graphs.small_vpc import START, STOP, write_flow_logs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"
BUNDLE = Path(__file__).resolve().parents[2] / "graphs" / "static" / "graphs" / "build" / "explorer.js"
READY = "#graph[data-state=ready]"


@pytest.fixture(autouse=True)
def bundle_built() -> None:
    if not BUNDLE.exists():
        pytest.fail("the explorer's bundle is not built: run `make bundle` (make test builds it)")


@pytest.fixture
def api(page: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username="admin"))  # the page's user
    return client


def api_view(api: APIClient, graph: Graph, **params: Any) -> dict[str, Any]:
    response = api.get(f"/api/v1/graphs/{graph.id}/view", params)
    assert response.status_code == 200, response.content
    result: dict[str, Any] = response.json()
    return result


def drawn_counts(view: dict[str, Any]) -> tuple[int, int]:
    """What the explorer draws of a view: every node, one arrow per client → server pair of two nodes."""
    ids = {node["id"] for node in view["nodes"]}
    pairs = {(e["client"], e["server"]) for e in view["edges"] if e["client"] != e["server"]}
    return len(ids), len({pair for pair in pairs if pair[0] in ids and pair[1] in ids})


def on_screen(page: Any) -> tuple[int, int]:
    graph = page.locator("#graph")
    return int(graph.get_attribute("data-nodes")), int(graph.get_attribute("data-edges"))


def open_explorer(page: Any, live_server: Any, graph: Graph, query: str = "") -> None:
    page.goto(f"{live_server.url}/graphs/{graph.id}/{query}")
    page.wait_for_selector(READY, timeout=20000)


def node_point(page: Any, node_id: str) -> tuple[float, float]:
    """The page coordinates where a node is drawn (the explorer's probe gives them on the canvas)."""
    box = page.locator("#graph canvas").first.bounding_box()  # inside the container's border
    point = page.eval_on_selector("#graph", "(el, id) => el.explorerProbe.position(id)", node_id)
    assert point is not None, f"{node_id} is not drawn"
    return box["x"] + point["x"], box["y"] + point["y"]


def wait_ready_after(page: Any, action: Any) -> None:
    """Run an action that re-queries the view, then wait until the new view is drawn."""
    page.eval_on_selector("#graph", "el => { el.dataset.state = 'stale'; }")
    action()
    page.wait_for_selector(READY, timeout=20000)


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_the_explorer_draws_the_auto_view_as_the_api_answers_it(
    page: Any, live_server: Any, graph: Graph, api: APIClient
) -> None:
    open_explorer(page, live_server, graph)
    view = api_view(api, graph, group="auto", max_nodes=500)
    assert view["group"] == "host"  # a small graph is drawn host by host
    assert on_screen(page) == drawn_counts(view)
    assert page.locator("#graph").get_attribute("data-level") == "host"
    assert page.locator("#graph canvas").count() >= 3  # sigma's WebGL and label layers
    assert page.inner_text("#details-title") == "This view"
    assert "Internet" in page.inner_text("#details") and "rejected" in page.inner_text("#details")
    page.wait_for_selector("#answers-list .answer")
    assert page.locator("#answers-list .answer").count() == len(
        api.get(f"/api/v1/graphs/{graph.id}/top", {"limit": 15}).json()["rows"]
    )
    assert page.locator("script:not([src])").count() == 0
    screenshot(page, "explorer-small.png")

    # Highlighting finds nodes by address or name, and the URL keeps it.
    page.fill("#find-input", "10.0.3")
    assert page.inner_text("#find-result") == "1 match"
    assert "find=10.0.3" in page.url

    # The picture as drawn downloads as a PNG (made in the page, under the page's CSP).
    page.click("#export-menu summary")
    with page.expect_download() as download:
        page.click("#export-png")
    assert download.value.suggested_filename == f"{graph.id}-host.png"
    download.value.save_as(ARTIFACTS / "explorer-export.png")
    assert page.locator("#export-svg").get_attribute("href") == (
        f"/graphs/{graph.id}/view.svg?group=auto&max_nodes=500"
    )
    assert page.problems == []


def test_opening_a_group_draws_its_members_and_the_breadcrumb_closes_it(
    page: Any, live_server: Any, graph: Graph, api: APIClient
) -> None:
    open_explorer(page, live_server, graph, "?group=subnet")
    assert on_screen(page) == drawn_counts(api_view(api, graph, group="subnet", max_nodes=20000))

    wait_ready_after(page, lambda: page.mouse.click(*node_point(page, "subnet:10.0.1.0/24")))
    assert parse_qs(urlsplit(page.url).query)["expand"] == ["subnet:10.0.1.0/24"]
    opened = api_view(api, graph, group="subnet", max_nodes=20000, expand="subnet:10.0.1.0/24")
    assert on_screen(page) == drawn_counts(opened)
    assert "10.0.1.10" in {node["id"] for node in opened["nodes"]}
    assert page.locator("#breadcrumb .crumb-item").count() == 1
    screenshot(page, "explorer-expanded.png")

    wait_ready_after(page, lambda: page.click("#breadcrumb .crumb-close"))
    assert "expand" not in page.url
    assert on_screen(page) == drawn_counts(api_view(api, graph, group="subnet", max_nodes=20000))
    wait_ready_after(page, page.go_back)  # the browser's Back reopens it
    assert "expand=subnet" in page.url
    assert page.problems == []


def test_focusing_a_host_lights_its_neighbours_and_lists_its_connections(
    page: Any, live_server: Any, graph: Graph
) -> None:
    open_explorer(page, live_server, graph)
    page.mouse.click(*node_point(page, "10.0.2.20"))
    page.wait_for_selector("#focus-connections table.connections")
    assert "focus=10.0.2.20" in page.url
    assert page.inner_text("#details-title") == "Focused host"
    assert page.locator("#graph").get_attribute("data-focus") == "10.0.2.20"
    rows = page.locator("#focus-connections tbody tr")
    assert rows.count() == 3  # web → it on 443; it → database on 5432 and → cache on 6379
    listed = page.inner_text("#focus-connections")
    for expected in ("10.0.1.10", "10.0.3.30", "10.0.4.40", "443/tcp", "5432/tcp", "6379/tcp"):
        assert expected in listed
    screenshot(page, "explorer-focus-small.png")

    # "Show only its connections" filters the view by its address, at host level.
    wait_ready_after(page, lambda: page.click("#focus-filter"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["address"] == ["10.0.2.20"] and query["group"] == ["host"]
    assert on_screen(page) == (4, 3)
    assert page.problems == []


def test_the_url_carries_the_port_filter_and_an_edge_explains_its_flows(
    page: Any, live_server: Any, graph: Graph, api: APIClient
) -> None:
    open_explorer(page, live_server, graph, "?port=5432")
    assert page.input_value("#filters [name=port]") == "5432"
    view = api_view(api, graph, group="auto", max_nodes=500, port="5432")
    assert on_screen(page) == drawn_counts(view) == (3, 2)

    # Hover the middle of the app → database arrow: its flows show.
    (x1, y1), (x2, y2) = node_point(page, "10.0.2.20"), node_point(page, "10.0.3.30")
    page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2)
    page.wait_for_selector("#tooltip:not([hidden])")
    tip = page.inner_text("#tooltip")
    assert "5432/tcp" in tip and "accepted" in tip

    # Applying another filter from the bar re-queries and rewrites the URL.
    page.fill("#filters [name=port]", "443")
    wait_ready_after(page, lambda: page.click("#filters button[type=submit]"))
    assert "port=443" in page.url
    assert on_screen(page) == drawn_counts(api_view(api, graph, group="auto", max_nodes=500, port="443"))
    assert page.problems == []


def test_a_queued_graph_shows_its_status_then_draws_once_built_without_a_reload(
    page: Any, live_server: Any, flowlogs_dir: Path, monkeypatch: pytest.MonkeyPatch, api: APIClient
) -> None:
    from graphs.services import graph_request, graph_run
    from jobs.window import window_parse

    call_command("createcachetable", verbosity=0)  # the heartbeat's cache: readable, and empty
    monkeypatch.setattr(Conf, "SYNC", False)  # queued for a worker that is not running
    write_flow_logs(flowlogs_dir)
    window = window_parse(START, STOP)
    job = graph_request(window)
    page.goto(f"{live_server.url}/graphs/{job.id}/")
    assert page.inner_text("#job-title") == "No worker is running"
    # Playwright's expect polls with its own injected script; wait_for_function would eval a string, which
    # the page's CSP (no 'unsafe-eval') refuses whenever the first check is not already true.
    expect(page.locator("#job-elapsed")).to_contain_text("queued for", timeout=10000)
    screenshot(page, "explorer-queued.png")
    assert "not seen" in page.inner_text("#job-note")
    page.evaluate("window.notReloaded = true")

    graph_run(str(job.id), window)  # a worker comes and builds it
    page.wait_for_selector(READY, timeout=20000)
    assert page.evaluate("window.notReloaded") is True
    assert page.inner_text("#graph-status") == "Done"
    assert page.locator("#job-panel").is_hidden()
    assert on_screen(page) == drawn_counts(api_view(api, Graph.objects.get(id=job.id)))
    assert page.problems == []


def test_a_view_whose_table_is_still_being_stored_says_so_and_draws_once_it_is_there(
    page: Any, live_server: Any, graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX
    from graphs.services import graph_flow

    store = graph_flow().store()
    tables = {
        suffix: store.open(str(graph.id), suffix).read() for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX)
    }
    for suffix in tables:
        store.delete(str(graph.id), suffix)
    # Done, its worker still storing the table (its lease held): the API answers 503 and Retry-After.
    Graph.objects.filter(id=graph.id).update(lease_until=timezone.now() + timedelta(minutes=10))
    monkeypatch.setattr("graphs.services.CONNECTIONS_RETRY_AFTER_S", 1)
    page.goto(f"{live_server.url}/graphs/{graph.id}/")
    expect(page.locator("#graph-message")).to_have_text("Building the connection table…", timeout=10000)
    assert page.locator("#graph").get_attribute("data-state") == "loading"  # waiting, not an error

    for suffix, content in tables.items():  # the worker stores the table and its run ends
        store.save(str(graph.id), suffix, io.BytesIO(content))
    Graph.objects.filter(id=graph.id).update(lease_until=None)
    page.wait_for_selector(READY, timeout=20000)
    assert int(page.locator("#graph").get_attribute("data-nodes")) > 0
    # The browser logs each 503 it was answered; nothing else went wrong.
    assert page.problems and all("503" in problem for problem in page.problems)


def test_a_graph_built_from_no_file_while_the_page_is_open_shows_its_warning_and_badge(
    page: Any, live_server: Any, flowlogs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graphs.services import graph_request, graph_run
    from jobs.window import window_parse

    call_command("createcachetable", verbosity=0)
    monkeypatch.setattr(Conf, "SYNC", False)  # queued for a worker that is not running
    window = window_parse(START, STOP)
    job = graph_request(window)
    page.goto(f"{live_server.url}/graphs/{job.id}/")
    assert page.locator("#graph-incomplete").is_hidden()
    graph_run(str(job.id), window)  # the folder holds no flow log
    expect(page.locator("#graph-incomplete")).to_be_visible(timeout=10000)
    expect(page.locator("#graph-warnings li")).to_have_text(
        [f"no flow-log file for this window under {flowlogs_dir}: check the flow-log bucket or folder, "
         "its prefix, accounts and regions"]
    )  # fmt: skip
    assert page.inner_text("#graph-incomplete-reason") == (
        "Incomplete: built from no flow-log file; the next request builds it again."
    )
    assert page.problems == []


def test_without_webgl_the_explorer_offers_the_classic_view(
    page: Any, live_server: Any, graph: Graph
) -> None:
    page.add_init_script("HTMLCanvasElement.prototype.getContext = () => null;")
    page.goto(f"{live_server.url}/graphs/{graph.id}/")
    page.wait_for_selector("#no-webgl:not([hidden])")
    assert page.locator("#graph").get_attribute("data-state") == "error"
    page.click("#no-webgl a")
    page.wait_for_selector("#graph-viewport svg g.node")
    assert page.url.endswith(f"/graphs/{graph.id}/svg-preview")
