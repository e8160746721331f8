from django.apps import AppConfig


class JobsConfig(AppConfig):
    """The job framework graphs and digests share: the abstract Job, its flow, the ports and their
    adapters, the Go time window and the Go-compatible routes. It has no tables of its own."""

    name = "jobs"
    verbose_name = "Jobs"
