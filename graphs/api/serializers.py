"""Serializers shared by the v1 views and `manage.py graph_create`.

The window input is validated here once, so the API and the command give the same messages: Go's parse
error text for a bad time (what seed clients already see), and the window rules of `window_parse`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from digests.models import JobStatus
from digests.window import WindowError, instant_parse, window_parse
from graphs.models import Graph

RFC3339_HELP = "RFC 3339 time, e.g. 2019-01-01T00:00:00Z; truncated to the minute."


class WindowInputSerializer(serializers.Serializer):
    """A time window `[start, stop)`; each time is parsed as Go's `time.RFC3339Nano` layout."""

    # Whitespace and blanks go to the Go parser untouched, so its message names the exact input.
    start = serializers.CharField(trim_whitespace=False, allow_blank=True, help_text=RFC3339_HELP)
    stop = serializers.CharField(trim_whitespace=False, allow_blank=True, help_text=RFC3339_HELP)

    def validate_start(self, value: str) -> str:
        return _instant_checked(value)

    def validate_stop(self, value: str) -> str:
        return _instant_checked(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            window = window_parse(attrs["start"], attrs["stop"])
        except WindowError as error:  # order or an empty window: about both fields
            raise serializers.ValidationError(str(error)) from error
        return {**attrs, "window": window}


def _instant_checked(value: str) -> str:
    try:
        instant_parse(value)
    except WindowError as error:
        raise serializers.ValidationError(str(error)) from error
    return value


# --- output ----------------------------------------------------------------------------------------


class GraphWindowSerializer(serializers.Serializer):
    start = serializers.CharField(source="start_text", help_text="Inclusive; truncated, offset as requested.")
    stop = serializers.CharField(source="stop_text", help_text="Exclusive; truncated, offset as requested.")


class GraphTimingsSerializer(serializers.Serializer):
    created = serializers.DateTimeField(source="created_at")
    queued = serializers.DateTimeField(source="queued_at", allow_null=True)
    started = serializers.DateTimeField(source="started_at", allow_null=True)
    finished = serializers.DateTimeField(source="finished_at", allow_null=True)
    duration = serializers.FloatField(
        source="duration_seconds",
        allow_null=True,
        help_text="Seconds from start to finish of the last attempt.",
    )


class GraphFiguresSerializer(serializers.Serializer):
    records = serializers.IntegerField(help_text="Digest lines read.")
    edges = serializers.IntegerField()
    nodes = serializers.IntegerField()
    dot_bytes = serializers.IntegerField()
    svg_bytes = serializers.IntegerField()
    svg_engine = serializers.CharField()
    svg_error = serializers.CharField(help_text="Why no SVG preview was made; empty when there is one.")


class GraphLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    dot = serializers.URLField()
    svg = serializers.URLField()
    rerun = serializers.URLField()
    preview = serializers.URLField(help_text="The preview page (login required).")
    seed = serializers.URLField(help_text="The seed-compatible `GET /?start&stop` URL of the DOT.")


class GraphOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    window = GraphWindowSerializer(source="*")
    status = serializers.ChoiceField(choices=JobStatus.choices)
    attempts = serializers.IntegerField()
    error = serializers.CharField(help_text="Why the last attempt failed; empty otherwise.")
    timings = GraphTimingsSerializer(source="*")
    figures = GraphFiguresSerializer(source="*")
    links = serializers.SerializerMethodField()

    @extend_schema_field(GraphLinksSerializer)
    def get_links(self, graph: Graph) -> dict[str, str]:
        return graph_links(graph, self.context.get("request"))


def graph_links(graph: Graph, request: Request | None) -> dict[str, str]:
    """Absolute when a request is at hand (API answers), else site-relative."""
    api = {name: reverse(f"api:graph-{name}", args=[graph.id]) for name in ("detail", "dot", "svg", "rerun")}
    links = {
        "self": api["detail"],
        "dot": api["dot"],
        "svg": api["svg"],
        "rerun": api["rerun"],
        "preview": graph.get_absolute_url(),
        "seed": reverse("root") + "?" + urlencode({"start": graph.start_text, "stop": graph.stop_text}),
    }
    if request is None:
        return links
    return {name: request.build_absolute_uri(url) for name, url in links.items()}


# --- errors, for the schema -------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class GraphConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    id = serializers.UUIDField(help_text="The graph of the window.")
    status = serializers.ChoiceField(choices=JobStatus.choices, required=False)
    url = serializers.URLField(help_text="The graph's API URL.")


class WindowErrorsSerializer(serializers.Serializer):
    start = serializers.ListField(child=serializers.CharField(), required=False)
    stop = serializers.ListField(child=serializers.CharField(), required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


class DependencyErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    dependency = serializers.CharField(help_text="storage, marker, queuer or digester")
