from django.apps import AppConfig


class GraphsConfig(AppConfig):
    name = "graphs"
    verbose_name = "Graphs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from grapherd_site import checks  # noqa: F401  (registers the configuration checks)

        post_migrate.connect(_heartbeat_schedule, sender=self)


def _heartbeat_schedule(**kwargs: object) -> None:
    """Every deploy migrates; make sure the worker heartbeat behind /healthz is scheduled."""
    from graphs.tasks_health import heartbeat_schedule_ensure

    heartbeat_schedule_ensure()
