from __future__ import annotations

from django.apps import AppConfig


class TrailConfig(AppConfig):
    name = "clearwater.web.trail"
    label = "trail"
    verbose_name = "Audit trail"
