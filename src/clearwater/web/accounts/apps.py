from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "clearwater.web.accounts"
    label = "accounts"
    verbose_name = "Staff and roles"

    def ready(self) -> None:
        from clearwater.web.accounts import signals  # noqa: F401
