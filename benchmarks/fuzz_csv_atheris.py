"""Coverage-guided fuzzing of the CSV path (reader + validator) with atheris; not run in CI.

    .venv/bin/uv pip install --python .venv/bin/python atheris   # once, for this script only
    .venv/bin/python benchmarks/fuzz_csv_atheris.py -max_total_time=300

Each input is split into a CSV file for one table (IDS201CareContact, the widest) and loaded
with the rest of a small valid folder.  The property: ``load_dataset`` either refuses the
folder with a ``ClearwaterError`` or accounts for every row (read = accepted + quarantined
for every file).  Any other exception is a crash that atheris reports with the input that
caused it (saved as ``crash-*`` in the working folder).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["clearwater"]):
    from clearwater.dataset.load import load_dataset
    from clearwater.engine import connect
    from clearwater.errors import ClearwaterError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit" / "dataset"))
from dataset_helpers import base_tables, write_folder  # noqa: E402

ENGINE = connect("duckdb")
ROOT = Path(tempfile.mkdtemp(prefix="clearwater-fuzz-"))
BASE = write_folder(ROOT / "base", base_tables())
HEADER = (BASE / "IDS201CareContact.csv").read_bytes().split(b"\n", 1)[0] + b"\n"


def one_input(data: bytes) -> None:
    folder = ROOT / "case"
    folder.mkdir(exist_ok=True)
    for f in BASE.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "IDS201CareContact.csv").write_bytes(HEADER + data)
    try:
        loaded = load_dataset(folder, ENGINE)
    except ClearwaterError:
        return
    acc = loaded.accounting
    assert (acc["read"] == acc["accepted"] + acc["quarantined"]).all(), acc


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
