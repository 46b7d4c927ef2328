#!/usr/bin/env bash
# The test suite: every spec case on DuckDB and on PySpark, plus unit, integration and
# statistical tests.  Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYSPARK_PYTHON="$PWD/.venv/bin/python"
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
