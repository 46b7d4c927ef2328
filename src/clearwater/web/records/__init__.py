"""Patients, referrals, appointments and questionnaires (with versions), risk alerts,
self-completion links and uploads of a data-contract folder."""
