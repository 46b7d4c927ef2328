"""Who may open which page: one table, checked by middleware for every request.

Each URL name maps to the roles allowed to use it.  ``ANONYMOUS`` pages need no login;
``PATIENT`` pages need a redeemed one-time link in the session.  A URL name missing from
this table is refused to everyone (fail closed), and the URL-walk test fails until a rule
is written for it.  Object-level rules (which patients) are in ``records.scope``.
"""

from __future__ import annotations

ANONYMOUS = "anonymous"
PATIENT = "patient"
CLINICIAN = "clinician"
SUPERVISOR = "supervisor"
MANAGER = "manager"
ANALYST = "analyst"
ADMIN = "admin"
STAFF_ROLES = (CLINICIAN, SUPERVISOR, MANAGER, ANALYST, ADMIN)
CLINICAL = frozenset({CLINICIAN, SUPERVISOR})

ACCESS: dict[str, frozenset[str]] = {
    # public
    "login": frozenset({ANONYMOUS, *STAFF_ROLES}),
    "logout": frozenset(STAFF_ROLES),
    "home": frozenset(STAFF_ROLES),
    "accessibility": frozenset({ANONYMOUS, PATIENT, *STAFF_ROLES}),
    # the patient's questionnaire (one-time link)
    "link-redeem": frozenset({ANONYMOUS, PATIENT, *STAFF_ROLES}),
    "q-start": frozenset({PATIENT}),
    "q-question": frozenset({PATIENT}),
    "q-check": frozenset({PATIENT}),
    "q-done": frozenset({ANONYMOUS, PATIENT}),
    # clinical pages (own caseload; supervisor: supervisees too)
    "caseload": CLINICAL,
    "alerts": CLINICAL,
    "alert-ack": CLINICAL,
    "patient": CLINICAL,
    "response": CLINICAL,
    "response-correct": CLINICAL,
    "score-enter": CLINICAL,
    "link-create": CLINICAL,
    "link-show": CLINICAL,
    # figures and data
    "figures": frozenset({MANAGER, SUPERVISOR}),
    "export-deidentified": frozenset({ANALYST}),
    "upload": frozenset({ADMIN, MANAGER}),
    "upload-result": frozenset({ADMIN, MANAGER}),
    # administration: users and configuration, never clinical data
    "users": frozenset({ADMIN}),
    "user-create": frozenset({ADMIN}),
    "texts": frozenset({ADMIN}),
}


def allowed(url_name: str | None, role: str) -> bool:
    if url_name is None:
        return False
    return role in ACCESS.get(url_name, frozenset())
