"""GRAPHERD_MAX_WINDOW: a window longer than the limit is refused with a clear message on every way in
(issue 12, defect 4: a 20-year window made 7,305 S3 listings until the task timeout)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from graphs.forms import WindowForm
from ops.env import config_read

pytestmark = pytest.mark.django_db

START, STOP = "2019-01-01T00:00:00Z", "2019-01-09T00:00:00Z"  # eight days
MESSAGE = "the window is longer than 168h (GRAPHERD_MAX_WINDOW): ask for several shorter windows"


def test_the_default_limit_is_a_week_and_takes_a_go_duration(tmp_path: Path) -> None:
    assert config_read({}, tmp_path)[0].max_window_s == 7 * 24 * 3600
    assert config_read({"GRAPHERD_MAX_WINDOW": "36h30m"}, tmp_path)[0].max_window_s == 36.5 * 3600


def test_a_limit_under_a_minute_is_refused(tmp_path: Path) -> None:
    config, problems = config_read({"GRAPHERD_MAX_WINDOW": "30s"}, tmp_path)
    assert config.max_window_s == 7 * 24 * 3600
    assert [problem.check_id for problem in problems] == ["grapherd.E003"]


def test_the_go_compatible_post_answers_400_in_its_json_envelope(client: Client) -> None:
    response = client.post(f"/?start={START}&stop={STOP}")
    assert response.status_code == 400
    assert response.content == b'{"message":"' + MESSAGE.encode() + b'"}\n'
    assert client.post(f"/digests/?start={START}&stop={STOP}").status_code == 400


def test_a_window_of_exactly_the_limit_is_accepted(client: Client, set_env: Callable[..., None]) -> None:
    set_env(GRAPHERD_MAX_WINDOW="192h")
    assert client.post(f"/?start={START}&stop={STOP}").status_code == 202


def test_the_v1_api_answers_400(django_user_model: type[User]) -> None:
    api = APIClient()
    user = django_user_model.objects.create_user("analyst", password="correct horse battery")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = api.post("/api/v1/graphs/", {"start": START, "stop": STOP}, format="json")
    assert response.status_code == 400
    assert MESSAGE in str(response.json())


def test_the_form_refuses_it() -> None:
    form = WindowForm(data={"start": START, "stop": STOP})
    assert not form.is_valid()
    assert MESSAGE in str(form.errors)


def test_the_command_line_refuses_it() -> None:
    with pytest.raises(CommandError, match="GRAPHERD_MAX_WINDOW"):
        call_command("graph_create", "--start", START, "--stop", STOP)
