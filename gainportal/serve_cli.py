"""``gainportal serve``: the production server (gunicorn with config/gunicorn.conf.py)."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from gainportal.settings import REPO_ROOT

GUNICORN_CONF = REPO_ROOT / "config" / "gunicorn.conf.py"


@click.command("serve")
@click.option("--bind", default=None, help="host:port (default GAINPORTAL_BIND or 127.0.0.1:8000)")
@click.option("--workers", type=int, default=None, help="processes (default 2 per core)")
@click.option("--threads", type=int, default=None, help="threads per process (default 4)")
@click.option("--check-config", is_flag=True, help="check the configuration and the app load, then exit")
def serve_command(bind: str | None, workers: int | None, threads: int | None, check_config: bool) -> None:
    """Serve the portal with gunicorn (docs/deployment.md)."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    executable = str(gunicorn) if gunicorn.exists() else shutil.which("gunicorn")
    if not executable:
        raise click.ClickException("gunicorn is not installed in this environment")
    argv = [executable, "--config", str(GUNICORN_CONF)]
    if bind:
        argv += ["--bind", bind]
    if workers:
        argv += ["--workers", str(workers)]
    if threads:
        # The pool size follows the threads (set before gunicorn.conf.py reads it).
        os.environ["GAINPORTAL_THREADS"] = str(threads)
    if check_config:
        argv += ["--check-config", "--print-config"]
    os.execv(executable, argv)
