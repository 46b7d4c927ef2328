"""The Clearwater service app (Django): patients, referrals, appointments, questionnaires
completed by the patient or entered by a clinician, a hash-chained audit trail and roles.

Apps by domain:

- ``accounts``: staff users and their role (clinician, supervisor, manager, analyst, admin)
  and the access rules every URL is checked against;
- ``records``: patients, referrals, appointments, questionnaire responses with versions,
  risk alerts, one-time self-completion links, uploads of a data-contract folder;
- ``trail``: the append-only, hash-chained audit trail and its verifier.

Django is imported only by this package; the rest of Clearwater never imports it.
"""
