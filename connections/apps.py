from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    """Connection views: a window's digest read as connections (client → server:port/protocol), grouped
    by subnet, VPC or account, filtered and ranked. It has no tables of its own: a graph job stores the
    window's connection table beside its DOT (`<graph id>.connections.parquet`)."""

    name = "connections"
    verbose_name = "Connections"
