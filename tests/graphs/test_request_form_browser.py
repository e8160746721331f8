"""The request form on `/graphs/` in headless Chromium: the date-time pickers appear with the script
(no inline code: the page's CSP), keep the text fields in step, and errors show next to their field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphs.models import Graph

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(__file__).resolve().parents[2] / "tests" / "artifacts" / "request-form.png"


def test_the_pickers_fill_the_text_fields_and_errors_show_next_to_their_field(
    page: Any, live_server: Any
) -> None:
    page.goto(f"{live_server.url}/graphs/")
    start_picker = page.locator('.time-picker[data-for="id_start"]')
    stop_picker = page.locator('.time-picker[data-for="id_stop"]')
    assert start_picker.is_visible() and stop_picker.is_visible()

    start_picker.fill("2019-01-01T00:00")
    assert page.input_value("#id_start") == "2019-01-01 00:00"
    page.fill("#id_stop", "2019-01-01 01:00")
    assert stop_picker.input_value() == "2019-01-01T01:00"
    page.fill("#id_stop", "-1h")
    assert stop_picker.input_value() == ""  # a relative time has no fixed point to show

    page.fill("#id_stop", "2019-01-01 25:00")
    with page.expect_navigation():  # the form posts and the page comes back with its errors
        page.click("button.primary")
    error = page.locator(".field-invalid .form-errors")
    error.first.wait_for()
    assert error.count() == 1
    assert error.inner_text().startswith('stop "2019-01-01 25:00" is not a time: hour must be in 0..23')
    assert page.input_value("#id_start") == "2019-01-01 00:00"  # kept, and shown in its picker again
    assert start_picker.input_value() == "2019-01-01T00:00"
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), clip={"x": 0, "y": 0, "width": 1000, "height": 760})
    assert not Graph.objects.exists()
    assert page.problems == []


def test_a_preset_requests_the_last_hour_and_opens_its_graph(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/graphs/")
    page.click('button[name="preset"][value="last-hour"]')
    page.wait_for_url("**/graphs/*-*/")
    graph = Graph.objects.get()
    assert page.url.endswith(f"/graphs/{graph.id}/")
    assert (graph.stop - graph.start).total_seconds() == 3600
