from __future__ import annotations

from django.urls import path

from clearwater.web.accounts import views as accounts
from clearwater.web.records import patient_views as patient
from clearwater.web.records import views as records
from clearwater.web.records import views_data as data

urlpatterns = [
    path("", accounts.home, name="home"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("accessibility/", accounts.accessibility, name="accessibility"),
    # the patient's questionnaire
    path("link/<str:token>/", patient.redeem_link, name="link-redeem"),
    path("q/", patient.start, name="q-start"),
    path("q/check/", patient.check, name="q-check"),
    path("q/done/", patient.done, name="q-done"),
    path("q/<str:code>/<int:number>/", patient.question, name="q-question"),
    # clinical
    path("caseload/", records.caseload, name="caseload"),
    path("alerts/", records.alerts, name="alerts"),
    path("alerts/<int:pk>/acknowledge/", records.alert_ack, name="alert-ack"),
    path("patients/<int:pk>/", records.patient, name="patient"),
    path("responses/<int:pk>/", records.response, name="response"),
    path("responses/<int:pk>/correct/", records.response_correct, name="response-correct"),
    path("referrals/<int:pk>/scores/new/", records.score_enter, name="score-enter"),
    path("appointments/<int:pk>/link/", records.link_create, name="link-create"),
    path("links/<int:pk>/", records.link_show, name="link-show"),
    # figures and data
    path("figures/", data.figures, name="figures"),
    path("export/", data.export_deidentified, name="export-deidentified"),
    path("upload/", data.upload, name="upload"),
    path("upload/<int:pk>/", data.upload_result, name="upload-result"),
    # administration
    path("admin/users/", accounts.users, name="users"),
    path("admin/users/new/", accounts.user_create, name="user-create"),
    path("admin/texts/", accounts.texts, name="texts"),
]
