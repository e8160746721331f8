"""The Go services' wire protocol, shared by grapherd (`/`) and the built-in digesterd (`/digests/`).

Routes, status codes and bodies match the Go services (see the README's COMPATIBILITY section for the
deliberate differences). Views only validate, call one job service and map its errors to HTTP here.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from jobs.errors import ArtifactExists, JobInProgress
from jobs.flow import JobFlow
from jobs.ports import DependencyFailure, NotFound
from jobs.window import Window, WindowError, window_check_length, window_parse, worker_window
from ops.config import config_get

log = logging.getLogger("grapherd.api")


def go_json(payload: dict[str, Any]) -> bytes:
    """Go's json.Encoder: compact, HTML characters escaped, a trailing newline."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return (text + "\n").encode()


def json_message(status: int, message: str) -> HttpResponse:
    return HttpResponse(go_json({"message": message}), status=status, content_type="application/json")


def empty(status: int) -> HttpResponse:
    response = HttpResponse(b"", status=status)
    del response["Content-Type"]  # Go sends no Content-Type on empty 202/204/404/405 answers
    return response


def plain(status: int, message: str) -> HttpResponse:
    return HttpResponse(message.encode(), status=status, content_type="text/plain; charset=utf-8")


def not_found_page(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Go's http.NotFound, for every unknown path; JSON under `/api/`, whose schema promises JSON errors
    (e.g. `/api/v1/graphs/not-a-uuid/`)."""
    if request.path.startswith("/api/"):
        return HttpResponse(b'{"detail":"Not found."}', status=404, content_type="application/json")
    return plain(404, "404 page not found\n")


def _first(request: Request, name: str) -> str:
    # Go's url.Query().Get: the first value, "" when missing; `+` already decoded as a space.
    values = request._request.GET.getlist(name)
    return values[0] if values else ""


class _GoRoutePermission(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        if config_get().require_auth:
            return IsAuthenticated().has_permission(request, view)
        return AllowAny().has_permission(request, view)


class _GoRouteView(APIView):
    """Only the declared methods exist: anything else (HEAD and OPTIONS too) is an empty 405, as chi does."""

    flow: ClassVar[Callable[[], JobFlow]]  # the job flow behind the routes (graph or digest)
    permission_classes: Sequence[type[BasePermission]] = (_GoRoutePermission,)

    methods: ClassVar[tuple[str, ...]] = ()

    def handle_exception(self, exc: Exception) -> HttpResponseBase:  # type: ignore[override]
        if isinstance(exc, APIException):  # authentication and permission answers (GRAPHERD_REQUIRE_AUTH)
            return super().handle_exception(exc)
        log.exception("unknown-failure")
        return self.internal_error()

    def internal_error(self) -> HttpResponse:
        return json_message(500, "Internal Server Error")

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        # Go ignores Accept; DRF would answer 406 to `Accept: text/plain`. The bodies are built by hand.
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    @property
    def allowed_methods(self) -> list[str]:
        return list(self.methods)  # DRF's default would advertise HEAD and OPTIONS, which answer 405

    def http_method_not_allowed(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:  # type: ignore[override]
        return empty(405)

    def options(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:  # type: ignore[override]
        return empty(405)

    def head(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        return empty(405)


class GoRootView(_GoRouteView):
    """`POST /?start&stop` queues a window; `GET /?start&stop` returns the artifact."""

    artifact_content_type = "application/octet-stream"
    methods = ("GET", "POST")
    # Where a browser opening the bare route is sent (a URL name); Go clients never send what it needs.
    browser_page: ClassVar[str] = ""

    def _browser_wants_page(self, request: Request) -> bool:
        return bool(self.browser_page) and browser_wants_page(request._request)

    def post(self, request: Request) -> HttpResponse:
        flow = type(self).flow()
        try:
            window = window_parse(_first(request, "start"), _first(request, "stop"))
            flow.request(window_check_length(window, config_get().max_window_s))
        except WindowError as error:
            log.info("invalid-input: %s", error)
            return json_message(400, str(error))
        except (JobInProgress, ArtifactExists) as error:
            log.info("conflict: %s", error)
            return json_message(409, str(error))
        except DependencyFailure as error:
            log.error("dependency-failure %s: %s", error.dependency, error.detail)
            return json_message(500, "Internal Server Error")
        return empty(202)

    def check_permissions(self, request: Request) -> None:
        # A browser opening the bare URL is sent to the pages, which ask it to log in: the redirect shows
        # no flow data, so it needs no credentials (a 401 would greet every first visit).
        if not (request.method == "GET" and self._browser_wants_page(request)):
            super().check_permissions(request)

    def get(self, request: Request) -> HttpResponseBase:
        if self._browser_wants_page(request):
            return redirect(self.browser_page)
        flow = type(self).flow()
        try:
            window = window_parse(_first(request, "start"), _first(request, "stop"))
            handle = flow.fetch(window)
        except WindowError as error:
            log.info("invalid-input: %s", error)
            return json_message(400, str(error))
        except JobInProgress:
            return empty(204)
        except NotFound:
            log.info("not-found: %s", flow.namespace)
            return empty(404)
        except DependencyFailure as error:
            log.error("dependency-failure %s: %s", error.dependency, error.detail)
            return json_message(500, "Internal Server Error")
        response = FileResponse(handle, content_type=self.artifact_content_type)
        if "Content-Disposition" in response:
            del response["Content-Disposition"]
        return response


def browser_wants_page(request: HttpRequest) -> bool:
    """A browser opening the bare URL: no query string, and `text/html` named in Accept with the highest
    preference. Go clients send a query and no Accept (or `*/*`), so they keep Go's answers."""
    if request.META.get("QUERY_STRING"):
        return False
    accepted = request.accepted_types
    html = [kind for kind in accepted if (kind.main_type, kind.sub_type) == ("text", "html")]
    return bool(html) and html[0].quality >= accepted[0].quality


class _WorkerPermission(BasePermission):
    """The worker route with authentication required: the stream appliance's `Authorization: Bearer
    <GRAPHERD_WORKER_TOKEN>`, or a user holding the view's `deliver_permission`; not any logged-in user."""

    def has_permission(self, request: Any, view: Any) -> bool:
        config = config_get()
        if not config.require_auth:
            return True
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if config.worker_token and scheme.lower() == "bearer":
            return hmac.compare_digest(token.strip().encode(), config.worker_token.encode())
        return bool(request.user and request.user.has_perm(view.deliver_permission))


class GoWorkerView(_GoRouteView):
    """`POST /{topic}/{event}`: the stream appliance delivers a queued job. Valid jobs are handed to the
    django-q2 pool and answered 204 at once: no web worker builds a job (the Go service answered after
    the build)."""

    methods = ("POST",)
    permission_classes = (_WorkerPermission,)
    deliver_permission: ClassVar[str]  # e.g. "graphs.add_graph"

    def internal_error(self) -> HttpResponse:
        return plain(500, "Internal Server Error")

    def post(self, request: Request, topic: str, event: str) -> HttpResponse:
        flow = type(self).flow()
        try:
            job_id, start, stop = worker_payload(_body(request._request))
            window = worker_window(start, stop)
            window_check_length(window, config_get().max_window_s)
            job_id = _job_id_check(job_id, window, flow.namespace)
        except BodyTooLarge as error:
            log.info("invalid-input: %s", error)
            return plain(413, str(error))
        except (WindowError, ValueError) as error:
            log.info("invalid-input: %s", error)
            return plain(400, str(error))
        try:
            flow.deliver(job_id, window)
        except DependencyFailure as error:
            log.error("dependency-failure %s: %s", error.dependency, error.detail)
            return plain(500, f"{error.dependency} failed for {flow.namespace} {job_id}")
        return empty(204)


class BodyTooLarge(ValueError):
    """A worker-route body larger than any job message could be (Django's DATA_UPLOAD_MAX_MEMORY_SIZE)."""


def _body(request: HttpRequest) -> bytes:
    """The body, read up to the limit: a declared or actual size above it is refused before it is held."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
    message = f"the body is larger than {limit} bytes; a job message is {{id, start, stop}}"
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise BodyTooLarge(message)
    body = request.read(limit + 1)
    if len(body) > limit:
        raise BodyTooLarge(message)
    return body


def _job_id_check(job_id: str, window: Window, namespace: str) -> str:
    """The Go worker trusted the id (a storage key) whatever the window; here the row keyed by that id
    is built from the window, so a mismatch would store one window's graph under another's id."""
    expected = window.job_id(namespace)
    if job_id.lower() != expected:
        raise ValueError(f"ID field {job_id!r} does not match the window (expected {expected})")
    return expected


class _JsonObject(list[tuple[str, Any]]):
    """A JSON object's members in order, repeated keys included, as Go's decoder meets them."""


_GO_TYPES = {
    bool: "bool",
    int: "number",
    float: "number",
    list: "array",
    _JsonObject: "object",
    str: "string",
}


class _NotJson(ValueError):
    pass


def _not_json(name: str) -> None:
    """Python reads NaN and Infinity; Go's decoder, like JSON, does not."""
    raise _NotJson(f"{name} is not a JSON value")


def worker_payload(body: bytes) -> tuple[str, str, str]:
    """Decode `{"id","start","stop"}` the way Go's json.Decoder does for the Go service's struct (`payload`
    in package `v1`): the first JSON value only, keys matched case-insensitively (Go's folding also matches
    U+017F, the long s, to `s`), unknown keys ignored, null as no value, the first type error reported."""
    text = body.decode("utf-8", "replace").lstrip(" \t\r\n")
    if not text:
        raise ValueError("EOF")
    try:
        decoder = json.JSONDecoder(object_pairs_hook=_JsonObject, parse_constant=_not_json)
        value, _ = decoder.raw_decode(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON: {error.msg} at offset {error.pos}") from None
    except _NotJson as error:
        raise ValueError(f"invalid JSON: {error}") from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply for a job message") from None
    if value is None:
        value = _JsonObject()
    if not isinstance(value, _JsonObject):
        raise ValueError(f"json: cannot unmarshal {_GO_TYPES[type(value)]} into Go value of type v1.payload")
    fields = {"id": "", "start": "", "stop": ""}
    for key, item in value:
        name = key.lower().replace("\u017f", "s")
        if name not in fields or item is None:
            continue
        if not isinstance(item, str):
            raise ValueError(
                f"json: cannot unmarshal {_GO_TYPES[type(item)]} into Go struct field payload.{name} of type string"
            )
        fields[name] = item
    if not fields["id"]:
        raise ValueError("missing ID field")
    return fields["id"], fields["start"], fields["stop"]
