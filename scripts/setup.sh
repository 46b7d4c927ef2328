#!/usr/bin/env bash
# Create .venv and install Clearwater with the locked versions (including the Spark engine
# and the test tools).  Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip uv
.venv/bin/uv pip install --python .venv/bin/python --quiet -r requirements.lock
.venv/bin/uv pip install --python .venv/bin/python --quiet --no-deps -e .
# The service app's browser tests drive Debian's Chromium (Playwright never downloads a
# browser here: no 'playwright install').
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing chromium (apt-get) for the browser tests"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
echo "clearwater installed in .venv ($(.venv/bin/clearwater version))"
