from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "digests"
    verbose_name = "Digests"
    default_auto_field = "django.db.models.BigAutoField"
    job_flow = (
        "digests.services.digest_flow"  # the reaper (jobs.reaper) re-queues this app's jobs whose worker died
    )
