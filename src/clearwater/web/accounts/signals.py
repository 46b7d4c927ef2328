"""Logins, logouts and failed logins go to the trail."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from clearwater.web.trail.chain import append


def _ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    append("login", actor=user.get_username(), details={"ip": _ip(request)})


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        append("logout", actor=user.get_username(), details={"ip": _ip(request)})


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # never the password; only the name that was tried
    append(
        "login-failed",
        actor=str(credentials.get("username", ""))[:150],
        details={"ip": _ip(request)},
    )
