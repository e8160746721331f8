"""The vpcflow-digesterd routes under `/digests/`, so a Go grapherd can use grapherd as its digester."""

from __future__ import annotations

from digests.seedapi import SeedRootView, SeedWorkerView
from digests.services import digest_kind


class DigestRootView(SeedRootView):
    kind = staticmethod(digest_kind)


class DigestWorkerView(SeedWorkerView):
    kind = staticmethod(digest_kind)
