from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Configuration and its checks, metrics, `/healthz` and the worker heartbeat, `serve`."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_migrate

        from ops import checks  # noqa: F401  (registers the configuration checks)

        # Django sends post_migrate only to apps with a models module, which ops has not: the heartbeat's
        # schedule is a django_q row, so it follows django_q's migrations.
        post_migrate.connect(_heartbeat_schedule, sender=apps.get_app_config("django_q"))


def _heartbeat_schedule(**kwargs: object) -> None:
    """Every deploy migrates; make sure the worker heartbeat behind /healthz is scheduled."""
    from ops.heartbeat import heartbeat_schedule_ensure

    heartbeat_schedule_ensure()
