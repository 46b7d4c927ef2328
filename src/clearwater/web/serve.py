"""``clearwater serve``: migrate, optionally build the demo service, then run gunicorn."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import typer


def run(*, demo: bool, host: str, port: int, database: str | None, workers: int) -> None:
    from clearwater.web.boot import boot, migrate

    if demo:
        from clearwater.web.demo import demo_password

        demo_password()  # refuse before doing anything when the password is not set
    # one secret for every worker (sessions must be valid across them)
    os.environ.setdefault("CLEARWATER_SECRET_KEY", "local-" + secrets.token_urlsafe(48))
    if host not in ("0.0.0.0", "::"):
        hosts = os.environ.get("CLEARWATER_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
        if host not in hosts.split(","):
            os.environ["CLEARWATER_ALLOWED_HOSTS"] = f"{hosts},{host}"
    boot(database)
    migrate()
    if demo:
        from clearwater.web.demo import build_demo

        typer.echo("building the demo service (synthetic data)...")
        built = build_demo()
        if built["built"]:
            typer.echo(
                "demo service ready; users clinician, supervisor, manager, analyst, admin "
                "(password from CLEARWATER_DEMO_PASSWORD)"
            )
        else:
            typer.echo("demo users already present; using the existing database")
    typer.echo(f"serving on http://{host}:{port}/ (Ctrl+C to stop)")
    cmd = [
        sys.executable, "-m", "gunicorn", "clearwater.web.wsgi:application",
        "--bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--workers", str(workers), "--threads", "4", "--timeout", "60",
        "--graceful-timeout", "10",
    ]  # fmt: skip
    # no access log: URLs of one-time links must not be written anywhere
    try:
        raise typer.Exit(subprocess.call(cmd, env=os.environ.copy()))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
