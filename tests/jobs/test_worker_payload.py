"""The worker route's JSON decoding (jobs/go_routes.py, `worker_payload`): Go's encoding/json texts for the
Go services' `payload` struct in package `v1` (docs/go-services-behaviour.md §2.5)."""

from __future__ import annotations

import re

import pytest

from jobs.go_routes import worker_payload

START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"


@pytest.mark.parametrize(
    ("body", "kind"),
    [("[1]", "array"), ('"job"', "string"), ("5", "number"), ("1.5", "number"), ("true", "bool")],
)
def test_a_value_that_is_not_an_object_names_gos_struct_type(body: str, kind: str) -> None:
    message = f"json: cannot unmarshal {kind} into Go value of type v1.payload"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        worker_payload(body.encode())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"id": 5}', "json: cannot unmarshal number into Go struct field payload.id of type string"),
        ('{"ID": true}', "json: cannot unmarshal bool into Go struct field payload.id of type string"),
        (
            '{"id": "x", "Start": [1]}',
            "json: cannot unmarshal array into Go struct field payload.start of type string",
        ),
        (
            '{"id": "x", "stop": {"a": 1}}',
            "json: cannot unmarshal object into Go struct field payload.stop of type string",
        ),
    ],
)
def test_a_field_of_the_wrong_type_names_the_struct_and_the_json_key(body: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        worker_payload(body.encode())


def test_the_first_type_error_wins_even_when_a_repeated_key_is_fine_later() -> None:
    with pytest.raises(ValueError, match=r"payload\.id of type string$"):
        worker_payload(b'{"id": 5, "id": "x"}')


def test_a_later_repeated_key_replaces_an_earlier_value_as_in_go() -> None:
    with pytest.raises(ValueError, match=r"^missing ID field$"):
        worker_payload(b'{"id": "x", "ID": ""}')


def test_keys_fold_as_in_go_where_a_long_s_matches_s() -> None:
    body = f'{{"id": "x", "\u017ftart": "{START}", "\u017fTOP": "{STOP}"}}'
    assert worker_payload(body.encode()) == ("x", START, STOP)


def test_null_and_unknown_keys_leave_the_fields_as_they_are() -> None:
    body = f'{{"id": "x", "start": "{START}", "start": null, "stop": "{STOP}", "other": [1, {{}}]}}'
    assert worker_payload(body.encode()) == ("x", START, STOP)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_as_for_go(constant: str) -> None:
    with pytest.raises(ValueError, match=rf"^invalid JSON: {constant} is not a JSON value$"):
        worker_payload(f'{{"id": {constant}}}'.encode())
