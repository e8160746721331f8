from django.apps import AppConfig


class JobsConfig(AppConfig):
    """The job framework graphs and digests share: the abstract Job, its flow, the ports and their
    adapters, the Go time window and the Go-compatible routes, leases and the reaper. It has no tables
    of its own."""

    name = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_reaper_schedules, sender=self)


def _reaper_schedules(**kwargs: object) -> None:
    """Every deploy migrates; make sure the reaper of dead workers' jobs is scheduled."""
    from jobs.reaper import reaper_schedules_ensure

    reaper_schedules_ensure()
