"""The vpcflow-grapherd routes: `POST|GET /?start&stop` and the worker route `POST /{topic}/{event}`."""

from __future__ import annotations

from graphs.services import graph_flow
from jobs.go_routes import GoRootView, GoWorkerView


class GraphRootView(GoRootView):
    flow = staticmethod(graph_flow)
    browser_page = "graphs:list"


class GraphWorkerView(GoWorkerView):
    flow = staticmethod(graph_flow)
