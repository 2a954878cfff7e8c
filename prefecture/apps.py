from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _sqlite_translate(sender, connection, **kwargs) -> None:
    """SQLite (the laptop's database) has no translate(), which PostgreSQL has and
    the name searches use (booking.selectors.folded): the same, in Python."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function(
        "translate",
        3,
        lambda text, old, new: (
            text.translate(str.maketrans(old, new)) if text is not None else None
        ),
        deterministic=True,
    )


class PrefectureConfig(AppConfig):
    name = "prefecture"
    verbose_name = "Préfecture"

    def ready(self) -> None:
        from prefecture import deploy_checks  # noqa: F401  (registers the checks)

        connection_created.connect(_sqlite_translate)
