"""The service-app tutorial's commands, run as written (the server on a free port)."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "tutorial" / "service-app.md"
BIN = Path(sys.executable).parent


def _blocks() -> list[list[str]]:
    text = DOC.read_text("utf-8")
    return [
        [ln for ln in b.strip().splitlines() if ln.strip()]
        for b in re.findall(r"```bash\n(.*?)```", text, re.S)
    ]


def _cmd(line: str, port: int) -> list[str]:
    args = shlex.split(line)
    args[0] = str(BIN / Path(args[0]).name)
    if "--port" in args:
        args[args.index("--port") + 1] = str(port)
    return args


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_tutorial_commands_work_as_written(tmp_path):
    start, finish = _blocks()
    assert start[0].startswith("export CLEARWATER_DEMO_PASSWORD=")
    env = {**os.environ}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["CLEARWATER_DEMO_PASSWORD"] = shlex.split(start[0].split("=", 1)[1])[0]
    port = _free_port()
    server = subprocess.Popen(
        _cmd(start[1], port), cwd=tmp_path, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=5)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(server.stdout.read())
                time.sleep(0.5)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        html = opener.open(f"{base}/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": "clinician",
             "password": env["CLEARWATER_DEMO_PASSWORD"], "next": ""}
        ).encode()  # fmt: skip
        req = urllib.request.Request(f"{base}/login/", data, headers={"Referer": f"{base}/"})
        caseload = opener.open(req).read().decode()
        assert "Caseload" in caseload and "/patients/" in caseload
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    for line in finish:
        r = subprocess.run(_cmd(line, port), cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=600)  # fmt: skip
        assert r.returncode == 0, (line, r.stdout, r.stderr)
        if "trail verify" in line:
            assert "trail intact" in r.stdout
    assert (tmp_path / "tutorial-export" / "CWStaff.csv").exists()
