"""The vpcflow-grapherd routes: `POST|GET /?start&stop` and the worker route `POST /{topic}/{event}`."""

from __future__ import annotations

from digests.seedapi import SeedRootView, SeedWorkerView
from graphs.services import graph_kind


class GraphRootView(SeedRootView):
    kind = staticmethod(graph_kind)


class GraphWorkerView(SeedWorkerView):
    kind = staticmethod(graph_kind)
