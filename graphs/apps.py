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


def _rebuild_schedule(**kwargs: object) -> None:
    """Every deploy migrates; make sure incomplete windows are rebuilt once their flow logs are in."""
    from graphs.rebuild import rebuild_schedule_ensure

    rebuild_schedule_ensure()
