from __future__ import annotations

from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "clearwater.web.records"
    label = "records"
    verbose_name = "Clinical records"
