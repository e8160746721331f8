"""The vpcflow-digesterd routes under `/digests/`, so a Go grapherd can use grapherd as its digester."""

from __future__ import annotations

from digests.services import digest_flow
from jobs.go_routes import GoRootView, GoWorkerView


class DigestRootView(GoRootView):
    flow = staticmethod(digest_flow)


class DigestWorkerView(GoWorkerView):
    flow = staticmethod(digest_flow)
    deliver_permission = "digests.add_digest"
