"""Login, the start page for each role, and administration (users, instrument texts)."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from clearwater.errors import ClearwaterError
from clearwater.web.accounts.middleware import request_role
from clearwater.web.accounts.models import Role, Staff, Team
from clearwater.web.records.models import InstrumentText

START = {
    Role.CLINICIAN: "caseload",
    Role.SUPERVISOR: "caseload",
    Role.MANAGER: "figures",
    Role.ANALYST: "export-deidentified",
    Role.ADMIN: "users",
}


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


def home(request):
    return redirect(START.get(request_role(request), "login"))


def accessibility(request):
    return render(request, "accounts/accessibility.html")


def users(request):
    staff = Staff.objects.select_related("user", "team", "supervisor__user").order_by("role", "pk")
    return render(request, "accounts/users.html", {"staff": staff})


class UserForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput(render_value=False), min_length=12)
    role = forms.ChoiceField(choices=Role.choices)
    staff_id = forms.CharField(max_length=64, label="Staff identifier (CarePersLocalId)")
    team = forms.CharField(max_length=32, required=False, label="Team code")
    supervisor = forms.CharField(max_length=64, required=False, label="Supervisor's staff id")
    duty = forms.BooleanField(required=False, label="Duty clinician (sees every risk alert)")

    def clean(self):
        data = super().clean()
        User = get_user_model()
        if data.get("username") and User.objects.filter(username=data["username"]).exists():
            self.add_error("username", "That user name is taken")
        if data.get("staff_id") and Staff.objects.filter(staff_id=data["staff_id"]).exists():
            self.add_error("staff_id", "That staff identifier is taken")
        if (
            data.get("supervisor")
            and not Staff.objects.filter(staff_id=data["supervisor"], role=Role.SUPERVISOR).exists()
        ):
            self.add_error("supervisor", "No supervisor has that staff identifier")
        if data.get("password"):
            try:
                validate_password(data["password"])
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


@require_http_methods(["GET", "POST"])
def user_create(request):
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with transaction.atomic():
            user = get_user_model().objects.create_user(d["username"], password=d["password"])
            team = Team.objects.get_or_create(code=d["team"])[0] if d["team"] else None
            Staff.objects.create(
                user=user,
                role=d["role"],
                staff_id=d["staff_id"],
                team=team,
                supervisor=Staff.objects.filter(staff_id=d["supervisor"]).first()
                if d["supervisor"]
                else None,
                duty=d["duty"],
            )
        return redirect("users")
    return render(request, "accounts/user_form.html", {"form": form})


class TextForm(forms.Form):
    instrument = forms.CharField(max_length=16)
    version = forms.CharField(max_length=40)
    licence = forms.CharField(widget=forms.Textarea, label="Licence under which you hold it")
    source = forms.CharField(max_length=200)
    content = forms.CharField(
        widget=forms.Textarea,
        label='Content as JSON: {"stem": "...", "items": [...], "anchors": [[0, "..."], ...]}',
    )


@require_http_methods(["GET", "POST"])
def texts(request):
    from clearwater.instruments.items import load_item_texts
    from clearwater.web.records.services import load_licensed_texts

    form = TextForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            content = json.loads(d["content"])
            if not isinstance(content, dict):
                raise ValueError("not an object")
            load_licensed_texts(
                d["instrument"].upper(),
                d["version"],
                d["licence"],
                d["source"],
                content,
                request.user.get_username(),
            )
            return redirect("texts")
        except (ValueError, ClearwaterError) as exc:
            form.add_error("content", str(exc))
    register = load_item_texts()
    rows = InstrumentText.objects.order_by("instrument", "-pk")
    return render(
        request,
        "accounts/texts.html",
        {"form": form, "shipped": register.texts, "restricted": register.restricted, "rows": rows},
    )
