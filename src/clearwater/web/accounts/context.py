from __future__ import annotations

from clearwater.web.accounts.middleware import request_role


def role(request) -> dict:
    from django.conf import settings

    return {"role": request_role(request), "service_name": settings.CLEARWATER_SERVICE_NAME}
