from django.apps import AppConfig


class GraphsConfig(AppConfig):
    name = "graphs"
    verbose_name = "Graphs"
    default_auto_field = "django.db.models.BigAutoField"
    job_flow = (
        "graphs.services.graph_flow"  # the reaper (jobs.reaper) re-queues this app's jobs whose worker died
    )

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_rebuild_schedule, sender=self)
        post_migrate.connect(_prune_schedule, sender=self)


def _rebuild_schedule(**kwargs: object) -> None:
    """Every deploy migrates; make sure incomplete windows are rebuilt once their flow logs are in."""
    from graphs.rebuild import rebuild_schedule_ensure

    rebuild_schedule_ensure()


def _prune_schedule(**kwargs: object) -> None:
    """Every deploy migrates: schedule pruning when GRAPHERD_PRUNE_AFTER is set, unschedule it when not."""
    import contextlib

    from django.core.exceptions import ImproperlyConfigured

    from graphs.prune import prune_schedule_ensure

    # A bad variable is named by the system checks; the next migrate sets the schedule.
    with contextlib.suppress(ImproperlyConfigured):
        prune_schedule_ensure()
