"""Safe outputs: everything Clearwater writes goes through here.

Input data are untrusted (a data extract from another system, a survey file from staff), and
Clearwater's outputs are opened in spreadsheets, e-mailed and kept for years.  So:

- :mod:`.cells`   neutralises text a spreadsheet would run as a formula (CSV and Excel);
- :mod:`.tables`  the one CSV writer every CSV output uses (cells neutralised, rows sorted);
- :mod:`.names`   file names built from data: slug plus hash, checked to stay in their folder;
- :mod:`.runs`    run folders: written beside the target and renamed into place when complete,
                  with a manifest listing what was made; never deleting what Clearwater did not
                  make; single output files that never overwrite an input or a stranger's file;
- :mod:`.console` data printed to the terminal is shown literally (no Rich markup from data).

See docs/security.md for the threat model and what each defence covers.
"""

from __future__ import annotations

from clearwater.outputs.cells import FORMULA_STARTS, excel_cell, neutralise, neutralise_frame
from clearwater.outputs.names import SafeNames, safe_name, within
from clearwater.outputs.runs import (
    MANIFEST,
    OutputFile,
    RunFolder,
    atomic_write_bytes,
    atomic_write_text,
    read_manifest,
    refuse_overlap,
)
from clearwater.outputs.tables import write_csv

__all__ = [
    "FORMULA_STARTS",
    "MANIFEST",
    "OutputFile",
    "RunFolder",
    "SafeNames",
    "atomic_write_bytes",
    "atomic_write_text",
    "excel_cell",
    "neutralise",
    "neutralise_frame",
    "read_manifest",
    "refuse_overlap",
    "safe_name",
    "within",
    "write_csv",
]
