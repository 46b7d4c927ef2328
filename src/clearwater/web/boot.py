"""Start Django from a ``clearwater`` command (settings, database URL, migrations)."""

from __future__ import annotations

import os

from clearwater.errors import ConfigError


def boot(database: str | None = None, settings: str | None = None) -> None:
    """Configure Django once for this process; ``database`` is a URL or a SQLite path."""
    if database:
        url = database if "://" in database else f"sqlite:///{os.path.abspath(database)}"
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings or "clearwater.web.settings")
    try:
        import django
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError(
            "the service app needs the 'web' extra: pip install 'clearwater[web]' "
            "(./scripts/setup.sh installs it)"
        ) from exc
    django.setup()


def migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
