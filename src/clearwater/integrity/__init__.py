"""Integrity audit: one detector per known way performance data gets gamed.

Every finding carries evidence (observed vs expected), a p-value under an honest null that
allows for real between-unit differences, and a q-value controlling the false-discovery rate
across all units and detectors.  Findings say "inconsistent with the expected pattern";
they are prompts for a conversation, never proof of wrongdoing.
"""

from clearwater.integrity.audit import AuditResult, run_audit

__all__ = ["AuditResult", "run_audit"]
