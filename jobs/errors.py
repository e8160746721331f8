"""The job flow's domain errors, mapped to HTTP in one place per surface (Go-compatible routes, API v1)."""

from __future__ import annotations

from jobs.ports import DependencyFailure


class JobInProgress(Exception):
    def __init__(self, namespace: str, job_id: str) -> None:
        super().__init__(f"{namespace} {job_id} is being created")
        self.job_id = job_id


class ArtifactExists(Exception):
    def __init__(self, message: str, job_id: str) -> None:
        super().__init__(message)
        self.job_id = job_id


class JobFailed(Exception):
    """The work itself failed; the message is safe to show (no internal details)."""


def public_error(error: BaseException, shown: tuple[type[BaseException], ...] = ()) -> str:
    """Errors the operator can act on keep their text (`JobFailed` and the kinds in `shown`); anything
    else is named by its type only, since the text may carry internal details."""
    if isinstance(error, (JobFailed, *shown)):
        return str(error)
    if isinstance(error, DependencyFailure):
        return f"{error.dependency} failed: {error.detail}"
    if isinstance(error, SystemExit):
        return "the worker stopped the job (task timeout or shutdown)"
    return f"internal error ({type(error).__name__}); see the worker log"
