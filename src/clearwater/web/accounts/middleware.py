"""Security headers and the access-rule check for every request."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from clearwater.web.accounts import rules
from clearwater.web.trail.chain import acting_as, append

PATIENT_SESSION_KEY = "patient_link"


def request_role(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        staff = getattr(user, "staff", None)
        return staff.role if staff is not None else "none"
    if hasattr(request, "session") and request.session.get(PATIENT_SESSION_KEY):
        return rules.PATIENT
    return rules.ANONYMOUS


def actor_name(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.get_username()
    link = request.session.get(PATIENT_SESSION_KEY) if hasattr(request, "session") else None
    if link:
        return f"patient-link:{link}"
    return "anonymous"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response.setdefault("Cache-Control", "no-store")
        if request.path.startswith("/q/") or request.path.startswith("/link/"):
            response["Cache-Control"] = "no-store"
        return response


class AccessRulesMiddleware:
    """Deny by default: the URL's rule must list the requester's role.  Anonymous users are
    sent to the login page; anyone else gets 403 and the refusal is written to the trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        role = request_role(request)
        actor = actor_name(request)
        if not rules.allowed(match.url_name, role):
            if role == rules.ANONYMOUS:
                return redirect(f"{reverse('login')}?{urlencode({'next': request.path})}")
            with acting_as(actor):
                append(
                    "denied",
                    details={"url": match.url_name, "role": role, "method": request.method},
                )
            return HttpResponseForbidden("You do not have access to this page.")
        with acting_as(actor):
            return self.get_response(request)
