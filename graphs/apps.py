from django.apps import AppConfig


class GraphsConfig(AppConfig):
    name = "graphs"
    verbose_name = "Graphs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from grapherd_site import checks  # noqa: F401  (registers the configuration checks)
