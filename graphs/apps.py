from django.apps import AppConfig


class GraphsConfig(AppConfig):
    name = "graphs"
    verbose_name = "Graphs"
    default_auto_field = "django.db.models.BigAutoField"
    job_flow = (
        "graphs.services.graph_flow"  # the reaper (jobs.reaper) re-queues this app's jobs whose worker died
    )
