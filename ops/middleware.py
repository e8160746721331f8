"""A database that does not answer is a 503 the client can retry, not a 500 with a traceback: the
connect and statement timeouts (DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT) end the wait, and
this names the cause. Nothing was written: every write is one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger("grapherd.api")
MESSAGE = "the database is not answering; nothing was changed, try again shortly"
RETRY_AFTER_S = 5


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        log.error("dependency-failure database %s %s: %s", request.method, request.path, exception)
        response: HttpResponse
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": MESSAGE}, status=503)
        else:
            response = HttpResponse(MESSAGE + "\n", status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
