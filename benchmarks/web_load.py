"""Load test of the service app on loopback: concurrent patients completing PHQ-9 and
GAD-7 from one-time links against gunicorn + PostgreSQL.

Each simulated patient repeatedly takes a fresh link and walks the real pages (link ->
start -> 16 question pages, each a GET and a POST with the CSRF token -> check answers ->
confirm and send -> done).  Reported per run: requests per second, p50/p95 latency,
errors, questionnaires sent vs questionnaires stored in the database, and whether
``trail verify`` finds the trail intact afterwards.  A baseline run with one patient is
printed side by side with the loaded run (ratios loaded/baseline).

    .venv/bin/python benchmarks/web_load.py                  # 50 patients x 60 s, baseline 1 x 20 s
    .venv/bin/python benchmarks/web_load.py --patients 10 --seconds 20 --baseline-seconds 10

Needs PostgreSQL 15 (scripts/postgres-for-tests.sh installs and starts it, as root);
creates and drops its own database ``clearwater_load``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PHQ = [1, 0, 2, 1, 0, 1, 0, 1, 0]
GAD = [1, 1, 0, 2, 0, 1, 0]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(db_url: str, links: int) -> list[str]:
    """Fresh database: migrate, demo service, ``links`` one-time links (tokens)."""
    import psycopg

    admin = db_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS clearwater_load")
        con.execute("CREATE DATABASE clearwater_load")
    os.environ["DATABASE_URL"] = db_url.rsplit("/", 1)[0] + "/clearwater_load"
    os.environ.setdefault("CLEARWATER_DEMO_PASSWORD", "load-test-password-only")
    from clearwater.web.boot import boot, migrate

    boot()
    migrate()
    from django.contrib.auth import get_user_model

    from clearwater.web.demo import build_demo
    from clearwater.web.records.models import Appointment
    from clearwater.web.records.services import create_link

    build_demo(referrals=300)
    user = get_user_model().objects.get(username="clinician")
    appts = list(Appointment.objects.order_by("pk")[:200])
    return [create_link(appts[i % len(appts)], user)[1] for i in range(links)]


def _journey(base: str, token: str, lat: list[float], errors: list[str]) -> bool:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)

    def req(path: str, data: dict | None = None, expect=(200,)) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        r = urllib.request.Request(base + path, body, headers={"Referer": base + "/"})
        t0 = time.perf_counter()
        try:
            resp = opener.open(r, timeout=60)
            status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, ""
        lat.append(time.perf_counter() - t0)
        if status not in expect:
            raise RuntimeError(f"{path}: HTTP {status}")
        return text

    try:
        req(f"/link/{token}/", expect=(302,))
        req("/q/")
        for code, values in (("PHQ9", PHQ), ("GAD7", GAD)):
            for n, v in enumerate(values, start=1):
                page = req(f"/q/{code}/{n}/")
                tok = CSRF.search(page).group(1)
                req(f"/q/{code}/{n}/", {"csrfmiddlewaretoken": tok, "answer": v}, expect=(302,))
        tok = CSRF.search(req("/q/check/")).group(1)
        req("/q/check/", {"csrfmiddlewaretoken": tok}, expect=(302,))
        req("/q/done/")
        return True
    except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
        errors.append(str(exc)[:200])
        return False


def _run(base: str, tokens: list[str], patients: int, seconds: float) -> dict:
    lat: list[float] = []
    errors: list[str] = []
    done = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def patient() -> None:
        while time.monotonic() < stop:
            with lock:
                if not tokens:
                    return
                token = tokens.pop()
            if _journey(base, token, lat, errors):
                with lock:
                    done[0] += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=patient) for _ in range(patients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    return {
        "patients": patients,
        "seconds": wall,
        "requests": len(lat),
        "rps": len(lat) / wall,
        "p50_ms": 1000 * statistics.median(lat) if lat else float("nan"),
        "p95_ms": 1000 * lat[int(0.95 * (len(lat) - 1))] if lat else float("nan"),
        "errors": len(errors),
        "error_examples": errors[:3],
        "journeys": done[0],
        "sent": 2 * done[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--patients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--baseline-seconds", type=float, default=20)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()

    db_url = subprocess.run(
        [str(ROOT / "scripts/postgres-for-tests.sh")], capture_output=True, text=True, check=True
    ).stdout.strip()
    os.environ.setdefault("CLEARWATER_SECRET_KEY", "load-" + os.urandom(24).hex())
    t0 = time.perf_counter()
    tokens = _prepare(db_url, links=3000)
    print(f"prepared database and {len(tokens)} links in {time.perf_counter() - t0:.0f} s")
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clearwater.web.settings"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clearwater.web.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
         "--threads", str(args.threads), "--timeout", "120"],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(base + "/accessibility/", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        from clearwater.web.records.models import Response

        before = Response.objects.filter(versions__entry_mode="self").count()
        baseline = _run(base, tokens, 1, args.baseline_seconds)
        mid = Response.objects.filter(versions__entry_mode="self").count()
        loaded = _run(base, tokens, args.patients, args.seconds)
        after = Response.objects.filter(versions__entry_mode="self").count()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    baseline["stored"] = mid - before
    loaded["stored"] = after - mid
    from clearwater.web.trail.verify import verify

    report = verify()
    rows = [
        ("patients", "{:.0f}"), ("seconds", "{:.1f}"), ("requests", "{:.0f}"),
        ("rps", "{:.1f}"), ("p50_ms", "{:.0f}"), ("p95_ms", "{:.0f}"), ("errors", "{:.0f}"),
        ("journeys", "{:.0f}"), ("sent", "{:.0f}"), ("stored", "{:.0f}"),
    ]  # fmt: skip
    print(f"\n{'':12s} {'baseline':>10s} {'loaded':>10s} {'ratio':>8s}")
    for key, fmt in rows:
        b, v = baseline[key], loaded[key]
        ratio = f"{v / b:.2f}" if b else "-"
        print(f"{key:12s} {fmt.format(b):>10s} {fmt.format(v):>10s} {ratio:>8s}")
    for e in loaded["error_examples"]:
        print("error:", e)
    print(
        f"\nanswers in the database vs sent: baseline {baseline['stored']}/{baseline['sent']}, "
        f"loaded {loaded['stored']}/{loaded['sent']}"
    )
    print(f"trail verify after: {'intact' if report.intact else report.problem} "
          f"({report.entries} entries, {report.rows_checked} rows checked)")  # fmt: skip


if __name__ == "__main__":
    main()
